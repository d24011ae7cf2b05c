; relational: x + y + 1
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int)
(declare-var x Int)
(declare-var y Int)
(constraint (> (f x y) (+ x y)))
(constraint (< (f x y) (+ x y 2)))
(check-synth)
