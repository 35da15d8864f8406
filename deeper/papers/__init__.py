"""The three papers of the lesson, runnable on the tiny model.

- `ddim`: DDIM written in alpha/sigma on SD's discrete schedule, and the distillation target.
- `denoisers`: the teacher (an ε-UNet under classifier-free guidance) and the students
  (v-prediction UNets, optionally taking the guidance scale as an input) behind one interface.
- `progressive`: progressive distillation (Salimans & Ho, 2022).
- `guided`: guided distillation (Meng et al., 2023).
- `imagic`: Imagic (Kawar et al., 2023).
"""
