; absolute value
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (>= (f x) 0))
(constraint (or (= (f x) x) (= (f x) (- x))))
(check-synth)
