; x may stay or grow
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (= x y))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (or (and (= x! (+ x 1)) (= y! y)) (and (= x! x) (= y! y))))
(define-fun post ((x Int) (y Int)) Bool
  (>= x y))
(inv-constraint inv pre trans post)
(check-synth)
