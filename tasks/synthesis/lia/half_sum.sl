; infeasible: 2f = x + y has no integer solution when x + y is odd
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int)
(declare-var x Int)
(declare-var y Int)
(constraint (= (+ (f x y) (f x y)) (+ x y)))
(check-synth)
