; plain bound
(set-logic LIA)
(synth-inv inv ((x Int)))
(define-fun pre ((x Int)) Bool
  (= x 0))
(define-fun trans ((x Int) (x! Int)) Bool
  (and (< x 100) (= x! (+ x 1))))
(define-fun post ((x Int)) Bool
  (<= x 100))
(inv-constraint inv pre trans post)
(check-synth)
