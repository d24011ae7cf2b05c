; m is the running maximum of x
(set-logic LIA)
(synth-inv inv ((x Int) (m Int)))
(define-fun pre ((x Int) (m Int)) Bool
  (and (= x 0) (= m 0)))
(define-fun trans ((x Int) (m Int) (x! Int) (m! Int)) Bool
  (and (= x! (+ x 1)) (= m! (ite (> x! m) x! m))))
(define-fun post ((x Int) (m Int)) Bool
  (>= m x))
(inv-constraint inv pre trans post)
(check-synth)
