; infeasible: 2x from a finite grammar
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 1 (+ x 1)))))
(constraint (= (f 1) 2))
(constraint (= (f 2) 4))
(constraint (= (f 3) 6))
(check-synth)
