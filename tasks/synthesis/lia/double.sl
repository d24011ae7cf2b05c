; twice x, no grammar
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (= (f x) (+ x x)))
(check-synth)
