; x grows at most as fast as y
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (and (= x 0) (= y 0)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (and (>= x! x) (<= x! (+ x 3)) (= y! (+ y 3))))
(define-fun post ((x Int) (y Int)) Bool
  (<= x y))
(inv-constraint inv pre trans post)
(check-synth)
