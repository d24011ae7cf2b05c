; |x - y|
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int)
(declare-var x Int)
(declare-var y Int)
(constraint (>= (f x y) 0))
(constraint (or (= (f x y) (- x y)) (= (f x y) (- y x))))
(check-synth)
