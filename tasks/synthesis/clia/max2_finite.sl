; infeasible: max of two without ite, finite grammar
(set-logic LIA)
(synth-fun m ((x Int) (y Int)) Int
  ((S Int)) ((S Int (x y 0 (+ x y)))))
(declare-var x Int)
(declare-var y Int)
(constraint (>= (m x y) x))
(constraint (>= (m x y) y))
(constraint (or (= (m x y) x) (= (m x y) y)))
(check-synth)
