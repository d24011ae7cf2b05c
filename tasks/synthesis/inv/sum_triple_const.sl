; fixed bound 10
(set-logic LIA)
(synth-inv inv ((i Int) (s Int)))
(define-fun pre ((i Int) (s Int)) Bool
  (and (= i 0) (= s 0)))
(define-fun trans ((i Int) (s Int) (i! Int) (s! Int)) Bool
  (and (< i 10) (= i! (+ i 1)) (= s! (+ s 3))))
(define-fun post ((i Int) (s Int)) Bool
  (=> (>= i 10) (= s 30)))
(inv-constraint inv pre trans post)
(check-synth)
