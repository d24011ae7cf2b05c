; symmetric, f(x,0) = x, additive in y: x + y
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int)) ((S Int (x y 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (f y x)))
(constraint (= (f x 0) x))
(constraint (= (f 0 y) y))
(constraint (= (f x y) (+ (f x 0) y)))
(check-synth)
