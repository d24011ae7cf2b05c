; x reaches 3 with noise variables around
(set-logic LIA)
(synth-inv inv ((x Int) (y Int) (z Int) (w Int)))
(define-fun pre ((x Int) (y Int) (z Int) (w Int)) Bool
  (and (= x 0) (= y 10)))
(define-fun trans ((x Int) (y Int) (z Int) (w Int) (x! Int) (y! Int) (z! Int) (w! Int)) Bool
  (and (> y 0) (= x! (+ x 1)) (= y! (- y 1)) (= w! (+ w z))))
(define-fun post ((x Int) (y Int) (z Int) (w Int)) Bool
  (< x 3))
(inv-constraint inv pre trans post)
(check-synth)
