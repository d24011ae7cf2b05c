; inner j loop, outer i loop, as one relation
(set-logic LIA)
(synth-inv inv ((i Int) (j Int) (n Int)))
(define-fun pre ((i Int) (j Int) (n Int)) Bool
  (and (= i 0) (= j 0) (>= n 0)))
(define-fun trans ((i Int) (j Int) (n Int) (i! Int) (j! Int) (n! Int)) Bool
  (or (and (< j n) (= j! (+ j 1)) (= i! i) (= n! n)) (and (>= j n) (< i n) (= i! (+ i 1)) (= j! 0) (= n! n))))
(define-fun post ((i Int) (j Int) (n Int)) Bool
  (and (<= i n) (>= j 0)))
(inv-constraint inv pre trans post)
(check-synth)
