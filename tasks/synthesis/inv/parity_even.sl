; steps of two keep x even
(set-logic LIA)
(synth-inv inv ((x Int)))
(define-fun pre ((x Int)) Bool
  (= x 0))
(define-fun trans ((x Int) (x! Int)) Bool
  (= x! (+ x 2)))
(define-fun post ((x Int)) Bool
  (= (mod x 2) 0))
(inv-constraint inv pre trans post)
(check-synth)
