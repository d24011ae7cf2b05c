; c tracks a + b
(set-logic LIA)
(synth-inv inv ((a Int) (b Int) (c Int)))
(define-fun pre ((a Int) (b Int) (c Int)) Bool
  (and (= a 0) (= b 0) (= c 0)))
(define-fun trans ((a Int) (b Int) (c Int) (a! Int) (b! Int) (c! Int)) Bool
  (and (= a! (+ a 1)) (= b! (+ b 2)) (= c! (+ c 3))))
(define-fun post ((a Int) (b Int) (c Int)) Bool
  (= c (+ a b)))
(inv-constraint inv pre trans post)
(check-synth)
