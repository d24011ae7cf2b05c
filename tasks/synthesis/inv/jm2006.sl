; x and y fall together
(set-logic LIA)
(synth-inv inv ((i Int) (j Int) (x Int) (y Int)))
(define-fun pre ((i Int) (j Int) (x Int) (y Int)) Bool
  (and (>= i 0) (>= j 0) (= x i) (= y j)))
(define-fun trans ((i Int) (j Int) (x Int) (y Int) (i! Int) (j! Int) (x! Int) (y! Int)) Bool
  (and (not (= x 0)) (= x! (- x 1)) (= y! (- y 1)) (= i! i) (= j! j)))
(define-fun post ((i Int) (j Int) (x Int) (y Int)) Bool
  (=> (and (= x 0) (= i j)) (= y 0)))
(inv-constraint inv pre trans post)
(check-synth)
