; random linear target (+ (* 3 x) (* (- 3) y) 2), with a grammar
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int)) ((S Int (x y 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(declare-var y Int)
(constraint (<= (+ (f x y) (f x y)) (* 2 (+ (* 3 x) (* (- 3) y) 2))))
(constraint (>= (+ (f x y) (f x y)) (* 2 (+ (* 3 x) (* (- 3) y) 2))))
(check-synth)
