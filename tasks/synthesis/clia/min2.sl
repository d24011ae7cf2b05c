; min of 2
(set-logic LIA)
(synth-fun m ((x1 Int) (x2 Int)) Int)
(declare-var x1 Int)
(declare-var x2 Int)
(constraint (<= (m x1 x2) x1))
(constraint (<= (m x1 x2) x2))
(constraint (or (= (m x1 x2) x1) (= (m x1 x2) x2)))
(check-synth)
