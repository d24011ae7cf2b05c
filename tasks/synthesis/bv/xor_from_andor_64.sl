; xor from and, or, not, 64 bits
(set-logic BV)
(synth-fun f ((x (_ BitVec 64)) (y (_ BitVec 64))) (_ BitVec 64)
  ((S (_ BitVec 64))) ((S (_ BitVec 64) (x y (bvand S S) (bvor S S) (bvnot S)))))
(declare-var x (_ BitVec 64))
(declare-var y (_ BitVec 64))
(constraint (= (f x y) (bvxor x y)))
(check-synth)
