; nested_ij with SSA copies
(set-logic LIA)
(synth-inv inv-f ((i Int) (j Int) (n Int) (i_0 Int) (i_1 Int) (j_0 Int) (j_1 Int) (j_2 Int)))
(define-fun pre-f ((i Int) (j Int) (n Int) (i_0 Int) (i_1 Int) (j_0 Int) (j_1 Int) (j_2 Int)) Bool
  (and (= i i_0) (= i_0 0) (= j j_0) (= j_0 0) (>= n 0)))
(define-fun trans-f ((i Int) (j Int) (n Int) (i_0 Int) (i_1 Int) (j_0 Int) (j_1 Int) (j_2 Int) (i! Int) (j! Int) (n! Int) (i_0! Int) (i_1! Int) (j_0! Int) (j_1! Int) (j_2! Int)) Bool
  (or (and (= j_1 j) (< j_1 n) (= j_2 (+ j_1 1)) (= j! j_2) (= i! i) (= n! n)) (and (= j_1 j) (= i_1 i) (>= j_1 n) (< i_1 n) (= i! (+ i_1 1)) (= j! 0) (= n! n))))
(define-fun post-f ((i Int) (j Int) (n Int) (i_0 Int) (i_1 Int) (j_0 Int) (j_1 Int) (j_2 Int)) Bool
  (and (<= i n) (>= j 0)))
(inv-constraint inv-f pre-f trans-f post-f)
(check-synth)
