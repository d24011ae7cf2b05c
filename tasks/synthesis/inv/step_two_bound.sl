; overshoot by at most one step
(set-logic LIA)
(synth-inv inv ((x Int)))
(define-fun pre ((x Int)) Bool
  (= x 0))
(define-fun trans ((x Int) (x! Int)) Bool
  (and (< x 10) (= x! (+ x 2))))
(define-fun post ((x Int)) Bool
  (<= x 11))
(inv-constraint inv pre trans post)
(check-synth)
