; a Boolean flag
(set-logic LIA)
(synth-inv inv ((b Bool) (x Int)))
(define-fun pre ((b Bool) (x Int)) Bool
  (and (not b) (= x 0)))
(define-fun trans ((b Bool) (x Int) (b! Bool) (x! Int)) Bool
  (and (= b! (not b)) (= x! (ite b (+ x 1) x))))
(define-fun post ((b Bool) (x Int)) Bool
  (>= x 0))
(inv-constraint inv pre trans post)
(check-synth)
