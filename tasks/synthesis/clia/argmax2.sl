; an index of a largest of 2 values
(set-logic LIA)
(synth-fun arg ((x0 Int) (x1 Int)) Int)
(declare-var x0 Int)
(declare-var x1 Int)
(constraint (or (and (= (arg x0 x1) 0) (>= x0 x1)) (and (= (arg x0 x1) 1) (>= x1 x0))))
(check-synth)
