; hard, by examples: (+ (* 6 x) (- 55)) from 0, 1, + and -
(set-logic LIA)
(synth-fun f ((x Int)) Int
  ((S Int)) ((S Int (x 0 1 (+ S S) (- S S)))))
(constraint (= (f 41) 191))
(constraint (= (f (- 44)) (- 319)))
(constraint (= (f (- 42)) (- 307)))
(constraint (= (f 8) (- 7)))
(constraint (= (f 23) 83))
(constraint (= (f 2) (- 43)))
(constraint (= (f 11) 11))
(constraint (= (f 6) (- 19)))
(check-synth)
