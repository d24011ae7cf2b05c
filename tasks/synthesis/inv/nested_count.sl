; c counts inner steps
(set-logic LIA)
(synth-inv inv ((i Int) (j Int) (c Int) (n Int)))
(define-fun pre ((i Int) (j Int) (c Int) (n Int)) Bool
  (and (= i 0) (= j 0) (= c 0) (> n 0)))
(define-fun trans ((i Int) (j Int) (c Int) (n Int) (i! Int) (j! Int) (c! Int) (n! Int)) Bool
  (or (and (< j n) (= j! (+ j 1)) (= c! (+ c 1)) (= i! i) (= n! n)) (and (>= j n) (= i! (+ i 1)) (= j! 0) (= c! c) (= n! n))))
(define-fun post ((i Int) (j Int) (c Int) (n Int)) Bool
  (>= c j))
(inv-constraint inv pre trans post)
(check-synth)
