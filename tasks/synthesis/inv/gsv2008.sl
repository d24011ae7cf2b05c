; a disjunctive invariant
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (and (= x (- 50)) (> y (- 1000)) (< y 1000000)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (and (< x 0) (= x! (+ x y)) (= y! (+ y 1))))
(define-fun post ((x Int) (y Int)) Bool
  (=> (>= x 0) (> y 0)))
(inv-constraint inv pre trans post)
(check-synth)
