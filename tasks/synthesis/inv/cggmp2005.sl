; i up by 2, j down by 1 until they cross
(set-logic LIA)
(synth-inv inv ((i Int) (j Int)))
(define-fun pre ((i Int) (j Int)) Bool
  (and (= i 1) (= j 10)))
(define-fun trans ((i Int) (j Int) (i! Int) (j! Int)) Bool
  (and (>= j i) (= i! (+ i 2)) (= j! (- j 1))))
(define-fun post ((i Int) (j Int)) Bool
  (=> (< j i) (= j 6)))
(inv-constraint inv pre trans post)
(check-synth)
