; z counts the moves of x and y
(set-logic LIA)
(synth-inv inv ((x Int) (y Int) (z Int)))
(define-fun pre ((x Int) (y Int) (z Int)) Bool
  (and (= x 0) (= y 0) (= z 0)))
(define-fun trans ((x Int) (y Int) (z Int) (x! Int) (y! Int) (z! Int)) Bool
  (or (and (= x! (+ x 1)) (= y! y) (= z! (+ z 1))) (and (= x! x) (= y! (+ y 1)) (= z! (+ z 1)))))
(define-fun post ((x Int) (y Int) (z Int)) Bool
  (= z (+ x y)))
(inv-constraint inv pre trans post)
(check-synth)
