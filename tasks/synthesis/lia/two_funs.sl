; two functions: f + g = 3x and f - g = x
(set-logic LIA)
(synth-fun f ((x Int)) Int)
(synth-fun g ((x Int)) Int)
(declare-var x Int)
(constraint (= (+ (f x) (g x)) (* 3 x)))
(constraint (= (- (f x) (g x)) x))
(check-synth)
