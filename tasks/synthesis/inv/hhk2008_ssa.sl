; hhk2008 with SSA copies
(set-logic LIA)
(synth-inv inv-f ((a Int) (b Int) (res Int) (cnt Int) (res_0 Int) (res_1 Int) (cnt_0 Int) (cnt_1 Int)))
(define-fun pre-f ((a Int) (b Int) (res Int) (cnt Int) (res_0 Int) (res_1 Int) (cnt_0 Int) (cnt_1 Int)) Bool
  (and (<= a 1000000) (>= b 0) (<= b 1000000) (= res_0 a) (= cnt_0 b) (= res res_0) (= cnt cnt_0)))
(define-fun trans-f ((a Int) (b Int) (res Int) (cnt Int) (res_0 Int) (res_1 Int) (cnt_0 Int) (cnt_1 Int) (a! Int) (b! Int) (res! Int) (cnt! Int) (res_0! Int) (res_1! Int) (cnt_0! Int) (cnt_1! Int)) Bool
  (and (= cnt_0 cnt) (= res_0 res) (> cnt_0 0) (= cnt_1 (- cnt_0 1)) (= res_1 (+ res_0 1)) (= cnt! cnt_1) (= res! res_1) (= a! a) (= b! b)))
(define-fun post-f ((a Int) (b Int) (res Int) (cnt Int) (res_0 Int) (res_1 Int) (cnt_0 Int) (cnt_1 Int)) Bool
  (=> (<= cnt 0) (= res (+ a b))))
(inv-constraint inv-f pre-f trans-f post-f)
(check-synth)
