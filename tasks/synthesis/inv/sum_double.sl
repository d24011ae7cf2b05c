; SYGUS.md's example
(set-logic LIA)
(synth-inv inv ((i Int) (n Int) (s Int)))
(define-fun pre ((i Int) (n Int) (s Int)) Bool
  (and (= i 0) (= s 0) (>= n 0)))
(define-fun trans ((i Int) (n Int) (s Int) (i! Int) (n! Int) (s! Int)) Bool
  (and (< i n) (= i! (+ i 1)) (= s! (+ s 2)) (= n! n)))
(define-fun post ((i Int) (n Int) (s Int)) Bool
  (=> (>= i n) (= s (* 2 n))))
(inv-constraint inv pre trans post)
(check-synth)
