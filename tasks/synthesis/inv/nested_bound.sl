; 5 x 5 nest
(set-logic LIA)
(synth-inv inv ((i Int) (j Int)))
(define-fun pre ((i Int) (j Int)) Bool
  (and (= i 0) (= j 0)))
(define-fun trans ((i Int) (j Int) (i! Int) (j! Int)) Bool
  (or (and (< j 5) (= j! (+ j 1)) (= i! i)) (and (>= j 5) (< i 5) (= i! (+ i 1)) (= j! 0))))
(define-fun post ((i Int) (j Int)) Bool
  (and (<= i 5) (<= j 5)))
(inv-constraint inv pre trans post)
(check-synth)
