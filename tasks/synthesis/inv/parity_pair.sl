; x and y have different parity
(set-logic LIA)
(synth-inv inv ((x Int) (y Int)))
(define-fun pre ((x Int) (y Int)) Bool
  (and (= x 0) (= y 1)))
(define-fun trans ((x Int) (y Int) (x! Int) (y! Int)) Bool
  (and (= x! (+ x 1)) (= y! (+ y 1))))
(define-fun post ((x Int) (y Int)) Bool
  (not (= (mod x 2) (mod y 2))))
(inv-constraint inv pre trans post)
(check-synth)
