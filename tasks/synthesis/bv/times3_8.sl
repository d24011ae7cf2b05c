; 3x without bvmul, 8 bits
(set-logic BV)
(synth-fun f ((x (_ BitVec 8))) (_ BitVec 8)
  ((S (_ BitVec 8))) ((S (_ BitVec 8) (x #x01 (bvadd S S) (bvshl S S)))))
(declare-var x (_ BitVec 8))
(constraint (= (f x) (bvmul x #x03)))
(check-synth)
