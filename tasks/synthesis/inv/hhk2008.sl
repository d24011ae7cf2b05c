; res counts up while cnt counts down
(set-logic LIA)
(synth-inv inv ((a Int) (b Int) (res Int) (cnt Int)))
(define-fun pre ((a Int) (b Int) (res Int) (cnt Int)) Bool
  (and (<= a 1000000) (>= b 0) (<= b 1000000) (= res a) (= cnt b)))
(define-fun trans ((a Int) (b Int) (res Int) (cnt Int) (a! Int) (b! Int) (res! Int) (cnt! Int)) Bool
  (and (> cnt 0) (= cnt! (- cnt 1)) (= res! (+ res 1)) (= a! a) (= b! b)))
(define-fun post ((a Int) (b Int) (res Int) (cnt Int)) Bool
  (=> (<= cnt 0) (= res (+ a b))))
(inv-constraint inv pre trans post)
(check-synth)
