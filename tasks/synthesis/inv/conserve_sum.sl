; a transfer keeps the sum
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (and (= x 0) (= y 10)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (and (> y 0) (= x! (+ x 1)) (= y! (- y 1))))
(define-fun post ((x Int) (y Int)) Bool
  (= (+ x y) 10))
(inv-constraint inv pre trans post)
(check-synth)
