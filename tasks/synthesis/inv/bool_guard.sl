; a done flag set at the bound
(set-logic LIA)
(synth-inv inv ((done Bool) (x Int)))
(define-fun pre ((done Bool) (x Int)) Bool
  (and (not done) (= x 0)))
(define-fun trans ((done Bool) (x Int) (done! Bool) (x! Int)) Bool
  (or (and (not done) (< x 10) (= x! (+ x 1)) (= done! false)) (and (not done) (>= x 10) (= x! x) (= done! true))))
(define-fun post ((done Bool) (x Int)) Bool
  (=> done (= x 10)))
(inv-constraint inv pre trans post)
(check-synth)
