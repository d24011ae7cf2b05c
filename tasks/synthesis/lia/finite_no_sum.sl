; infeasible: a finite grammar without +
(set-logic LIA)
(synth-fun f ((x Int) (y Int)) Int
  ((S Int)) ((S Int (x y 0 1))))
(declare-var x Int)
(declare-var y Int)
(constraint (= (f x y) (+ x y)))
(check-synth)
