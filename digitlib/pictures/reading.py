"""Reading many picture files at once: in batches, in order, with a progress bar on stderr.

Each picture goes through digitlib.pictures.files.open_picture and digitlib.pictures.preprocess as one picture
would; a picture that cannot be read is reported in its place instead of stopping the others.
They are read in this process by default: worker processes (a torch DataLoader's, one
intra-op thread each) were no quicker on the 2-core machine while other work ran on it (2,000
pictures: median 10.3 s here, 11.0 s in 2 workers, load average ~4.8), and beside a training
they would take its cores.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch

from digitlib.data import normalize
from digitlib.errors import DigitsError
from digitlib.pictures.files import open_picture
from digitlib.pictures.preprocess import READ, Preprocessed, Steps, preprocess

BATCH = 256             # pictures per batch: one progress step, one model forward
PROGRESS_DELAY_S = 2.0  # a bar only for reads that take longer than this: a few pictures print none


@dataclass
class Read:
    name: str                          # the file as given
    preprocessed: Preprocessed | None  # without the intermediate steps; None when unreadable
    error: DigitsError | None = None
    note: str | None = None            # e.g. "animated: first frame read"


class _Pictures(torch.utils.data.Dataset):
    def __init__(self, names: Sequence[str], steps: Steps = READ):
        self.names, self.steps = list(names), steps

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i: int):
        """Plain values only, cheap to send back from a worker: the 28x28 image, blank, inverted, error, note."""
        try:
            picture = open_picture(self.names[i])
            pre = preprocess(picture.image, self.steps)
        except DigitsError as e:
            return None, True, False, str(e), None
        return pre.image28, pre.blank, pre.inverted, None, picture.note


def _as_list(batch):
    return batch


def _read(name: str, image28, blank: bool, inverted: bool, error: str | None, note: str | None) -> Read:
    if error is not None:
        return Read(str(name), None, DigitsError(error), note)
    tensor = None if blank else normalize(torch.from_numpy(image28)[None, None])  # as preprocess makes it
    return Read(str(name), Preprocessed(tensor, image28, blank, inverted), None, note)


def read_pictures(names: Sequence, batch_size: int | None = None, workers: int = 0,
                  progress: bool = True, desc: str = "reading pictures", steps: Steps = READ) -> Iterator[list[Read]]:
    """Yield the pictures' Reads batch by batch (BATCH by default), in the order of names; workers:
    processes reading them (0: this one).

    The progress bar (tqdm, on stderr) is cleared while the caller handles each batch, so what
    the caller prints, on stdout or stderr, is never written into it."""
    from tqdm.auto import tqdm

    names, batch_size = [str(n) for n in names], batch_size or BATCH
    loader = torch.utils.data.DataLoader(_Pictures(names, steps), batch_size=batch_size, num_workers=workers,
                                         collate_fn=_as_list)
    with tqdm(total=len(names), desc=desc, unit="picture", file=sys.stderr, disable=not progress,
              delay=PROGRESS_DELAY_S, mininterval=0.5) as bar:
        start = 0
        for batch in loader:
            reads = [_read(name, *item) for name, item in zip(names[start:start + len(batch)], batch)]
            start += len(batch)
            bar.update(len(batch))
            shown = not bar.disable and bar.format_dict["elapsed"] >= bar.delay
            if shown:
                bar.clear()
            yield reads
            if shown:
                bar.refresh()

