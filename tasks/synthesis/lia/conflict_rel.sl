; infeasible: strictly between x and x + 1
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (> (f x) x))
(constraint (< (f x) (+ x 1)))
(check-synth)
