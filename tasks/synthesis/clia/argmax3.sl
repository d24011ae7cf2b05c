; an index of a largest of 3 values
(set-logic LIA)
(synth-fun arg ((x0 Int) (x1 Int) (x2 Int)) Int)
(declare-var x0 Int)
(declare-var x1 Int)
(declare-var x2 Int)
(constraint (or (and (= (arg x0 x1 x2) 0) (>= x0 x1) (>= x0 x2)) (and (= (arg x0 x1 x2) 1) (>= x1 x0) (>= x1 x2)) (and (= (arg x0 x1 x2) 2) (>= x2 x0) (>= x2 x1))))
(check-synth)
