"""The three worked SyGuS problems of the format notes (a bit-vector PBE problem, the larger of three integers,
an invariant), shared by the reader, engine and invariant tests."""

PBE_BV = """(set-logic BV)
(synth-fun f ((x (_ BitVec 16))) (_ BitVec 16)
  ((S (_ BitVec 16)))
  ((S (_ BitVec 16) (x #x0001 #x0000 (bvor S S) (bvand S S) (bvshl S S) (bvnot S)))))
(constraint (= (f #x0010) #x0011))
(constraint (= (f #x0003) #x0003))
(constraint (= (f #xfffe) #xffff))
(check-synth)
"""

MAX3 = """(set-logic LIA)
(synth-fun top ((a Int) (b Int) (c Int)) Int)
(declare-var a Int) (declare-var b Int) (declare-var c Int)
(constraint (>= (top a b c) a))
(constraint (>= (top a b c) b))
(constraint (>= (top a b c) c))
(constraint (or (= (top a b c) a) (= (top a b c) b) (= (top a b c) c)))
(check-synth)
"""

INV = """(set-logic LIA)
(synth-inv inv ((i Int) (n Int) (s Int)))
(define-fun pre ((i Int) (n Int) (s Int)) Bool (and (= i 0) (= s 0) (>= n 0)))
(define-fun trans ((i Int) (n Int) (s Int) (i! Int) (n! Int) (s! Int)) Bool
  (and (< i n) (= i! (+ i 1)) (= s! (+ s 2)) (= n! n)))
(define-fun post ((i Int) (n Int) (s Int)) Bool (=> (>= i n) (= s (* 2 n))))
(inv-constraint inv pre trans post)
(check-synth)
"""
