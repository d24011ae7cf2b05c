; relational: strictly above x and below x + 2
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 0 1 (+ S S) (- S S)))))
(declare-var x Int)
(constraint (> (f x) x))
(constraint (< (f x) (+ x 2)))
(check-synth)
