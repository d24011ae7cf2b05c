; x grows by y each step
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (and (= x 1) (= y 0)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (and (< y 1000) (= x! (+ x y)) (= y! (+ y 1))))
(define-fun post ((x Int) (y Int)) Bool
  (>= x y))
(inv-constraint inv pre trans post)
(check-synth)
