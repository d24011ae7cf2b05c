; hard, by examples: (+ (* 3 x) 41) from 0, 1, + and -
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 0 1 (+ S S) (- S S)))))
(constraint (= (f 2) 47))
(constraint (= (f (- 3)) 32))
(constraint (= (f 21) 104))
(constraint (= (f 36) 149))
(constraint (= (f 6) 59))
(constraint (= (f (- 26)) (- 37)))
(constraint (= (f (- 44)) (- 91)))
(constraint (= (f 3) 50))
(check-synth)
