; sign
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(declare-var x Int)
(constraint (=> (> x 0) (= (f x) 1)))
(constraint (=> (< x 0) (= (f x) (- 1))))
(constraint (=> (= x 0) (= (f x) 0)))
(check-synth)
