; infeasible: sign without a way to write -1
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int) (T Int) (B Bool)) ((S Int (0 1 (ite B T T))) (T Int (0 1)) (B Bool ((< x 0) (> x 0)))))
(declare-var x Int)
(constraint (=> (> x 0) (= (f x) 1)))
(constraint (=> (< x 0) (= (f x) (- 1))))
(check-synth)
