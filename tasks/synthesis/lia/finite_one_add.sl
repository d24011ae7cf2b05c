; infeasible: at most one addition
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int) (A Int)) ((S Int (A (+ A A))) (A Int (x 1))))
(declare-var x Int)
(constraint (= (f x) (+ x x x)))
(check-synth)
