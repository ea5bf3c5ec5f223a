"""Sequence-to-sequence translation with attention: English number words to German.

The task is generated here: every number 0..9999 written in English words ("three
hundred forty two") and in German, as space-separated parts of the German word
("drei hundert zwei und vierzig" for dreihundertzweiundvierzig: German says the units
before the tens, so the model has to reorder, not copy). A random 20% of the numbers
is held out; the model never sees them in training.

Model: a bidirectional GRU encoder over the English words (a PackedSequence: padding
changes nothing), a GRU decoder fed the previous German word (teacher forcing in
training, its own greedy choice at test time), Luong's "general" attention over the
encoder states, and a linear layer over the German vocabulary.

    python examples/translate.py                       # train, report held-out accuracy
    python examples/translate.py --plot attention.png  # + attention maps of 4 examples
    python examples/translate.py --save t.npz          # keep the weights
    python examples/translate.py --load t.npz --interactive   # translate what you type

The last line is `held-out exact match 0.XXXX`.
"""
import argparse
import sys
import time
from typing import List, Sequence, Tuple

import numpy as np

import fastconv
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# ---------------------------------------------------------------- number words

EN_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
            "seventeen", "eighteen", "nineteen"]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
           "ninety"]
DE_UNITS = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht",
            "neun", "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn",
            "siebzehn", "achtzehn", "neunzehn"]
DE_TENS = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig",
           "achtzig", "neunzig"]


def english(n: int) -> str:
    """0..9999 in English words, no hyphens and no "and": 342 -> three hundred forty two."""
    if not 0 <= n <= 9999:
        raise ValueError("n must be in 0..9999, got %d" % n)
    if n == 0:
        return "zero"
    words = []
    thousands, hundreds, rest = n // 1000, n // 100 % 10, n % 100
    if thousands:
        words += [EN_UNITS[thousands], "thousand"]
    if hundreds:
        words += [EN_UNITS[hundreds], "hundred"]
    if rest >= 20:
        words.append(EN_TENS[rest // 10])
        if rest % 10:
            words.append(EN_UNITS[rest % 10])
    elif rest:
        words.append(EN_UNITS[rest])
    return " ".join(words)


def german(n: int) -> str:
    """0..9999 as the parts of the German word, space-separated: 342 -> drei hundert zwei
    und vierzig (dreihundertzweiundvierzig); 1 is "eins" at the end of a number and
    "ein" before hundert, tausend and und (101 ein hundert eins, 21 ein und zwanzig)."""
    if not 0 <= n <= 9999:
        raise ValueError("n must be in 0..9999, got %d" % n)
    if n == 0:
        return "null"
    words = []
    thousands, hundreds, rest = n // 1000, n // 100 % 10, n % 100
    if thousands:
        words += ["ein" if thousands == 1 else DE_UNITS[thousands], "tausend"]
    if hundreds:
        words += ["ein" if hundreds == 1 else DE_UNITS[hundreds], "hundert"]
    if rest >= 20:
        if rest % 10:
            words += ["ein" if rest % 10 == 1 else DE_UNITS[rest % 10], "und"]
        words.append(DE_TENS[rest // 10])
    elif rest:
        words.append(DE_UNITS[rest])
    return " ".join(words)


# ---------------------------------------------------------------- vocabularies

PAD, BOS, EOS = "<pad>", "<s>", "</s>"


class Vocab:
    """Words <-> ids; id 0 is padding (and 1, 2 the start and end of a sentence)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = [PAD, BOS, EOS] + sorted(set(words))
        self.ids = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, sentence: str) -> List[int]:
        unknown = [w for w in sentence.split() if w not in self.ids]
        if unknown:
            raise KeyError("unknown word(s): %s" % ", ".join(unknown))
        return [self.ids[w] for w in sentence.split()]

    def decode(self, ids: Sequence[int]) -> str:
        out = []
        for i in ids:
            if i == self.ids[EOS]:
                break
            if i > 2:
                out.append(self.words[i])
        return " ".join(out)


def batch_ids(sentences: List[List[int]], bos: bool = False, eos: bool = False
              ) -> Tuple[np.ndarray, np.ndarray]:
    """Padded (batch, longest) int64 ids and the lengths, optionally with <s> / </s>."""
    rows = [([1] if bos else []) + s + ([2] if eos else []) for s in sentences]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    out = np.zeros((len(rows), lengths.max()), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out, lengths


# ---------------------------------------------------------------- model

class Translator(nn.Module):
    """Bidirectional GRU encoder, GRU decoder with Luong "general" attention."""

    def __init__(self, src_vocab: int, tgt_vocab: int, embed: int = 64,
                 hidden: int = 128) -> None:
        super().__init__()
        self.hidden = hidden
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)      # encoder state -> decoder's h0
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=0)
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.attn = nn.Linear(2 * hidden, hidden, bias=False)   # W_a of score(h, s)
        self.combine = nn.Linear(3 * hidden, hidden)
        self.out = nn.Linear(hidden, tgt_vocab)

    def encode(self, src: fastconv.Tensor, lengths: np.ndarray):
        """Encoder states (B, S, 2H), their keys W_a s, the padding mask, decoder's h0."""
        packed = pack_padded_sequence(self.src_embed(src), lengths, batch_first=True,
                                      enforce_sorted=False)
        states, h_n = self.encoder(packed)
        states, _ = pad_packed_sequence(states, batch_first=True,
                                        total_length=src.shape[1])
        h0 = self.bridge(fastconv.cat([h_n[0], h_n[1]], dim=1)).tanh().unsqueeze(0)
        return states, self.attn(states), src == 0, h0

    def attend(self, dec: fastconv.Tensor, states, keys, pad_mask):
        """Attention weights (B, T, S) and the combined output (B, T, H) of dec (B, T, H)."""
        scores = dec.bmm(keys.transpose(1, 2))                     # (B, T, S)
        scores = scores.masked_fill(pad_mask.unsqueeze(1), float("-inf"))
        weights = scores.softmax(dim=-1)
        context = weights.bmm(states)                               # (B, T, 2H)
        return weights, self.combine(fastconv.cat([dec, context], dim=2)).tanh()

    def forward(self, src, src_lengths, tgt_in):
        """Logits (B, T, V) of every target step given the previous words (teacher
        forcing)."""
        states, keys, pad_mask, h0 = self.encode(src, src_lengths)
        dec, _ = self.decoder(self.tgt_embed(tgt_in), h0)
        return self.out(self.attend(dec, states, keys, pad_mask)[1])

    def greedy(self, src, src_lengths, max_len: int = 12):
        """Greedy decoding: (ids (B, max_len), attention (B, max_len, S))."""
        with fastconv.no_grad():
            states, keys, pad_mask, h = self.encode(src, src_lengths)
            word = fastconv.tensor(np.full((src.shape[0], 1), 1, dtype=np.int64))
            ids, maps = [], []
            for _ in range(max_len):
                dec, h = self.decoder(self.tgt_embed(word), h)
                weights, combined = self.attend(dec, states, keys, pad_mask)
                word = self.out(combined).argmax(dim=-1)           # (B, 1)
                ids.append(word.numpy()[:, 0])
                maps.append(weights.numpy()[:, 0])
        return np.stack(ids, axis=1), np.stack(maps, axis=1)


# ---------------------------------------------------------------- training

def make_task(seed: int, holdout: float = 0.2):
    numbers = np.random.default_rng(seed).permutation(10000)
    n_test = int(round(holdout * len(numbers)))
    test, train = numbers[:n_test], numbers[n_test:]
    src = Vocab(w for n in range(10000) for w in english(n).split())
    tgt = Vocab(w for n in range(10000) for w in german(n).split())
    return train, test, src, tgt


def translate(model: Translator, src_vocab: Vocab, tgt_vocab: Vocab,
              sentences: List[str], batch: int = 500):
    """German for each English sentence, and the attention maps."""
    out, maps = [], []
    for i in range(0, len(sentences), batch):
        ids, lengths = batch_ids([src_vocab.encode(s) for s in sentences[i:i + batch]])
        decoded, attention = model.greedy(fastconv.tensor(ids), lengths)
        out += [tgt_vocab.decode(row) for row in decoded]
        maps += list(attention)
    return out, maps


def exact_match(model, src_vocab, tgt_vocab, numbers) -> float:
    model.eval()
    guesses, _ = translate(model, src_vocab, tgt_vocab, [english(int(n)) for n in numbers])
    return float(np.mean([g == german(int(n)) for g, n in zip(guesses, numbers)]))


def train_model(args, train, test, src_vocab, tgt_vocab) -> Translator:
    model = Translator(len(src_vocab), len(tgt_vocab), args.embed, args.hidden)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * int(np.ceil(len(train) / args.batch_size))
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    src_ids = [src_vocab.encode(english(int(n))) for n in range(10000)]
    tgt_ids = [tgt_vocab.encode(german(int(n))) for n in range(10000)]
    rng = np.random.default_rng(args.seed)
    progress = None
    if not args.no_progress:
        from tqdm import tqdm
        progress = tqdm(total=steps, desc="train", unit="batch", dynamic_ncols=True)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(train)
        total, count = 0.0, 0
        for i in range(0, len(order), args.batch_size):
            chunk = order[i:i + args.batch_size]
            src, src_len = batch_ids([src_ids[n] for n in chunk])
            tgt, _ = batch_ids([tgt_ids[n] for n in chunk], bos=True, eos=True)
            logits = model(fastconv.tensor(src), src_len, fastconv.tensor(tgt[:, :-1]))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   fastconv.tensor(tgt[:, 1:].reshape(-1)), ignore_index=0)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(chunk)
            count += len(chunk)
            if progress is not None:
                progress.set_postfix_str("epoch %d loss %.4f" % (epoch, total / count),
                                         refresh=False)
                progress.update(1)
        if epoch % args.eval_every == 0 or epoch == args.epochs:
            accuracy = exact_match(model, src_vocab, tgt_vocab, test)
            message = ("epoch %2d  loss %.4f  held-out exact match %.4f  %.0f s"
                       % (epoch, total / count, accuracy, time.perf_counter() - start))
            if progress is not None:
                progress.write(message)
            else:
                print(message, flush=True)
    if progress is not None:
        progress.close()
    return model


def plot_attention(path: str, model, src_vocab, tgt_vocab, numbers) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sentences = [english(int(n)) for n in numbers]
    guesses, maps = translate(model, src_vocab, tgt_vocab, sentences)
    fig, axes = plt.subplots(1, len(numbers), figsize=(4.2 * len(numbers), 4.2))
    for ax, sentence, guess, weights in zip(np.atleast_1d(axes), sentences, guesses, maps):
        src_words, out_words = sentence.split(), guess.split() + [EOS]
        ax.imshow(weights[:len(out_words), :len(src_words)], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(src_words)), src_words, rotation=60, ha="right")
        ax.set_yticks(range(len(out_words)), out_words)
        ax.set_title(sentence, fontsize=9)
    fig.suptitle("attention of the decoder over the English words (held-out numbers)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def interactive(model, src_vocab, tgt_vocab) -> None:
    model.eval()
    print("Type English number words (0 to 9999, e.g. 'three hundred forty two'); an "
          "empty line ends.")
    for line in sys.stdin:
        line = " ".join(line.lower().replace("-", " ").replace(" and ", " ").split())
        if not line:
            break
        try:
            print(translate(model, src_vocab, tgt_vocab, [line])[0][0], flush=True)
        except KeyError as exc:
            print("%s (known words: %s)" % (exc.args[0], " ".join(src_vocab.words[3:])))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=4, help="default: 4")
    p.add_argument("--batch-size", type=int, default=64, help="default: 64")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate (3e-3)")
    p.add_argument("--embed", type=int, default=64, help="word embedding size (64)")
    p.add_argument("--hidden", type=int, default=128, help="GRU hidden size (128)")
    p.add_argument("--eval-every", type=int, default=1, help="epochs between evaluations")
    p.add_argument("--threads", type=int, default=None, help="native kernel threads")
    p.add_argument("--seed", type=int, default=0, help="split and weights seed (0)")
    p.add_argument("--train-limit", type=int, default=None, metavar="N",
                   help="train on the first N training numbers only (quick runs)")
    p.add_argument("--save", metavar="PATH", help="save the trained weights (.npz)")
    p.add_argument("--load", metavar="PATH", help="load weights instead of training")
    p.add_argument("--interactive", action="store_true",
                   help="then translate what you type")
    p.add_argument("--plot", metavar="FILE", help="draw attention maps into FILE (PNG)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            sys.exit("--plot needs matplotlib: pip install matplotlib")
    if args.threads:
        fastconv.set_num_threads(args.threads)
    fastconv.manual_seed(args.seed)
    train, test, src_vocab, tgt_vocab = make_task(args.seed)
    if args.train_limit:
        train = train[:args.train_limit]
    if args.load:
        model = Translator(len(src_vocab), len(tgt_vocab), args.embed, args.hidden)
        model.load_state_dict(fastconv.load(args.load))
    else:
        print("%d training / %d held-out numbers, vocabularies %d English / %d German words"
              % (len(train), len(test), len(src_vocab) - 3, len(tgt_vocab) - 3))
        model = train_model(args, train, test, src_vocab, tgt_vocab)
        if args.save:
            fastconv.save(model.state_dict(), args.save)
    model.eval()
    accuracy = exact_match(model, src_vocab, tgt_vocab, test)
    examples = test[:4]
    for n, guess in zip(examples, translate(model, src_vocab, tgt_vocab,
                                            [english(int(n)) for n in examples])[0]):
        print("%-45s -> %-40s %s" % (english(int(n)), guess,
                                     "ok" if guess == german(int(n)) else
                                     "(expected %s)" % german(int(n))))
    if args.plot:
        plot_attention(args.plot, model, src_vocab, tgt_vocab, examples)
        print("attention maps written to %s" % args.plot)
    if args.interactive:
        interactive(model, src_vocab, tgt_vocab)
    print("held-out exact match %.4f" % accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
