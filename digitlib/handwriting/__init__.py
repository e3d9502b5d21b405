"""Your own handwriting (notebook 07): collect it, read it, teach the model it.

- collect.py: saving drawings into FOLDER/<digit>/, and cutting a scanned sheet into one
- folder.py: reading such a folder, and a model's accuracy on it per digit
- finetune.py: fine-tuning on it without forgetting MNIST; leave-one-writer-out for a class
"""
